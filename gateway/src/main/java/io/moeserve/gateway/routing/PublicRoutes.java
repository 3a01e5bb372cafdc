package io.moeserve.gateway.routing;

import io.moeserve.gateway.config.GatewayProperties;
import io.netty.channel.ChannelOption;

import org.springframework.cloud.gateway.config.HttpClientCustomizer;
import org.springframework.cloud.gateway.route.RouteLocator;
import org.springframework.cloud.gateway.route.builder.RouteLocatorBuilder;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpMethod;

/**
 * The only requests that reach a router: OpenAI's public endpoints plus tokenize/detokenize, by
 * method and exact path. Everything else (a router's /internal/**, /actuator/**, a wrong method)
 * matches no route and is answered 404 by the gateway itself, never forwarded.
 */
@Configuration(proxyBeanMethods = false)
public class PublicRoutes {

    /** Resolved to a concrete replica by {@link RouterSelectionFilter}. */
    static final String POOL_URI = RouterSelectionFilter.SCHEME + "://routers";

    /**
     * The connect timeout, once for the shared client: as route metadata Spring Cloud Gateway would
     * derive a new client configuration for every request. The response-start timeout is
     * {@link RouterSelectionFilter}'s, per attempt.
     */
    @Bean
    HttpClientCustomizer routerConnectTimeout(GatewayProperties properties) {
        int connectMs = (int) properties.upstream().connectTimeout().toMillis();
        return client -> client.option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectMs);
    }

    @Bean
    RouteLocator publicRouteLocator(RouteLocatorBuilder builder) {
        var routes = builder.routes();
        for (String[] route : new String[][] {
                {"models", "GET", "/v1/models", "/v1/models/**"},  // a model id may hold a slash (org/name)
                {"completions", "POST", "/v1/completions"},
                {"chat_completions", "POST", "/v1/chat/completions"},
                {"tokenize", "POST", "/tokenize"},
                {"detokenize", "POST", "/detokenize"}}) {
            String[] paths = java.util.Arrays.copyOfRange(route, 2, route.length);
            routes.route(route[0], r -> r.method(HttpMethod.valueOf(route[1])).and().path(paths).uri(POOL_URI));
        }
        return routes.build();
    }
}
