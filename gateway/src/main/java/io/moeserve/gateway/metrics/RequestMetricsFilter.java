package io.moeserve.gateway.metrics;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import reactor.core.publisher.Mono;

import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpStatusCode;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;

/**
 * Counts every request the gateway answers, by route and status ({@code moeserve_gateway_requests_total}),
 * including the ones it refuses itself (401, 404, 413, 429...), and times the start of each
 * response ({@code moeserve_gateway_response_start_seconds}: for a stream, its first byte).
 * Recorded when the response commits, which is after an error was rendered.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
public class RequestMetricsFilter implements WebFilter {

    private final MeterRegistry meters;
    // route and status labels are a small fixed set: look each meter up once, not per request
    private final Map<String, Counter> requests = new ConcurrentHashMap<>();
    private final Map<String, Timer> responseStart = new ConcurrentHashMap<>();

    public RequestMetricsFilter(MeterRegistry meters) {
        this.meters = meters;
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        long start = System.nanoTime();
        String route = routeOf(exchange.getRequest().getPath().value());
        exchange.getResponse().beforeCommit(() -> {
            HttpStatusCode status = exchange.getResponse().getStatusCode();
            int code = status == null ? 200 : status.value();
            requests.computeIfAbsent(route + ' ' + code, k -> meters.counter("moeserve.gateway.requests",
                    "route", route, "status", Integer.toString(code))).increment();
            responseStart.computeIfAbsent(route, k -> Timer.builder("moeserve.gateway.response.start").tag("route", route)
                    .register(meters)).record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
            return Mono.empty();
        });
        return chain.filter(exchange);
    }

    /** A small fixed set of labels, so a scan of random URLs cannot blow up the metric's cardinality. */
    static String routeOf(String path) {
        return switch (path) {
            case "/v1/models" -> "models";
            case "/v1/completions" -> "completions";
            case "/v1/chat/completions" -> "chat_completions";
            case "/tokenize" -> "tokenize";
            case "/detokenize" -> "detokenize";
            case "/health" -> "health";
            case "/metrics" -> "metrics";
            default -> path.startsWith("/v1/models/") ? "model" : "other";
        };
    }
}
