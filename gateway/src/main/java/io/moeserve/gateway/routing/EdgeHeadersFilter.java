package io.moeserve.gateway.routing;

import java.util.UUID;
import java.util.regex.Pattern;

import io.moeserve.core.api.OpenAiError;
import io.moeserve.gateway.errors.GatewayException;
import reactor.core.publisher.Mono;

import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.cloud.gateway.filter.GlobalFilter;
import org.springframework.core.Ordered;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;

/**
 * First filter of every proxied request: refuses paths that try to climb out of a public route
 * (404), removes {@code X-Moeserve-*} headers a client may have
 * sent (only the gateway speaks for a request to the routers) and makes sure the request has an
 * {@code X-Request-Id} (kept if sane, else generated) that the router and the client both see.
 */
@Component
public class EdgeHeadersFilter implements GlobalFilter, Ordered {

    public static final int ORDER = -1000;
    public static final String REQUEST_ID = "X-Request-Id";
    /** Dot segments, encoded dots/slashes/backslashes, empty segments: nothing a public path needs. */
    private static final Pattern TRAVERSAL = Pattern.compile("(^|/)\\.{1,2}(/|$)|%2[eEfF]|%5[cC]|\\\\|//");
    private static final Pattern SANE_ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

    @Override
    public int getOrder() {
        return ORDER;
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, GatewayFilterChain chain) {
        String rawPath = exchange.getRequest().getURI().getRawPath();
        if (TRAVERSAL.matcher(rawPath).find()) {
            // a router that normalised "/v1/models/../../internal/x" would serve an internal route
            return Mono.error(new GatewayException(404, OpenAiError.notFound(
                    "Invalid URL (" + exchange.getRequest().getMethod() + " " + rawPath + ")")));
        }
        String given = exchange.getRequest().getHeaders().getFirst(REQUEST_ID);
        String requestId = given != null && SANE_ID.matcher(given).matches() ? given : UUID.randomUUID().toString();
        exchange.getResponse().beforeCommit(() -> {
            exchange.getResponse().getHeaders().set(REQUEST_ID, requestId);  // set, not add: a router's echo is not doubled
            return Mono.empty();
        });
        ServerWebExchange cleaned = exchange.mutate().request(r -> r.headers(h -> {
            h.headerNames().stream()
                    .filter(name -> name.regionMatches(true, 0, "X-Moeserve-", 0, 11))
                    .toList()
                    .forEach(h::remove);
            h.set(REQUEST_ID, requestId);
        })).build();
        return chain.filter(cleaned);
    }
}
