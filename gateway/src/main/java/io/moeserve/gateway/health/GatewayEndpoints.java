package io.moeserve.gateway.health;

import java.util.LinkedHashMap;
import java.util.Map;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;

/**
 * The two endpoints the gateway answers itself, both without an API key:
 * {@code GET /health} - 200 {@code {"status":"ok",...}} while at least one router replica is
 * healthy, else 503 {@code {"status":"unavailable",...}}; and {@code GET /metrics} - the
 * gateway's Prometheus metrics (scrapers carry no API key, and no label holds a key or digest).
 */
@Configuration(proxyBeanMethods = false)
public class GatewayEndpoints {

    private static final MediaType PROMETHEUS_TEXT = MediaType.parseMediaType("text/plain;version=0.0.4;charset=utf-8");

    @Bean
    RouterFunction<ServerResponse> gatewayOwnEndpoints(RouterHealth health, PrometheusMeterRegistry prometheus) {
        return RouterFunctions.route()
                .GET("/health", request -> health.status().flatMap(routers -> {
                    boolean ok = routers.containsValue(Boolean.TRUE);
                    Map<String, Object> body = new LinkedHashMap<>();
                    body.put("status", ok ? "ok" : "unavailable");
                    Map<String, String> each = new LinkedHashMap<>();
                    routers.forEach((url, up) -> each.put(url, up ? "up" : "down"));
                    body.put("routers", each);
                    return ServerResponse.status(ok ? 200 : 503).contentType(MediaType.APPLICATION_JSON).bodyValue(body);
                }))
                .GET("/metrics", request -> ServerResponse.ok().contentType(PROMETHEUS_TEXT).bodyValue(prometheus.scrape()))
                .build();
    }
}
