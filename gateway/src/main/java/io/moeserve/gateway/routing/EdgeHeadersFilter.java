package io.moeserve.gateway.routing;

import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
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
 * (404) and makes sure the request has an {@code X-Request-Id} (kept if sane, else generated) that
 * the router and the client both see. The router's copy of the headers is written by
 * {@link UpstreamHeadersFilter}, which also drops any {@code X-Moeserve-*} header a client sent.
 */
@Component
public class EdgeHeadersFilter implements GlobalFilter, Ordered {

    public static final int ORDER = -1000;
    public static final String REQUEST_ID = "X-Request-Id";
    private static final Pattern SANE_ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

    @Override
    public int getOrder() {
        return ORDER;
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, GatewayFilterChain chain) {
        String rawPath = exchange.getRequest().getURI().getRawPath();
        if (climbs(rawPath)) {
            // a router that normalised "/v1/models/../../internal/x" would serve an internal route
            return Mono.error(new GatewayException(404, OpenAiError.notFound(
                    "Invalid URL (" + exchange.getRequest().getMethod() + " " + rawPath + ")")));
        }
        String given = exchange.getRequest().getHeaders().getFirst(REQUEST_ID);
        String requestId = given != null && SANE_ID.matcher(given).matches() ? given : newRequestId();
        exchange.getAttributes().put(UpstreamHeadersFilter.REQUEST_ID_ATTR, requestId);
        exchange.getResponse().beforeCommit(() -> {
            exchange.getResponse().getHeaders().set(REQUEST_ID, requestId);  // set, not add: a router's echo is not doubled
            return Mono.empty();
        });
        return chain.filter(exchange);
    }

    /**
     * Dot segments, encoded dots/slashes/backslashes, backslashes, empty segments: nothing a public
     * path needs. The same as the pattern {@code (^|/)\.{1,2}(/|$)|%2[eEfF]|%5[cC]|\\|//}, in one pass.
     */
    static boolean climbs(String path) {
        int n = path.length();
        for (int i = 0; i < n; i++) {
            char c = path.charAt(i);
            if (c == '\\' || (c == '/' && i + 1 < n && path.charAt(i + 1) == '/')) {
                return true;
            }
            if (c == '%' && i + 2 < n) {
                char a = path.charAt(i + 1);
                char b = Character.toLowerCase(path.charAt(i + 2));
                if ((a == '2' && (b == 'e' || b == 'f')) || (a == '5' && b == 'c')) {
                    return true;
                }
            }
            if (c == '.' && (i == 0 || path.charAt(i - 1) == '/')) {
                int end = i + 1 < n && path.charAt(i + 1) == '.' ? i + 2 : i + 1;
                if (end == n || path.charAt(end) == '/') {
                    return true;
                }
            }
        }
        return false;
    }

    /** A random (version 4) UUID; a request id is no secret, so it need not cost a SecureRandom call. */
    static String newRequestId() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        long high = (random.nextLong() & ~0xF000L) | 0x4000L;
        long low = (random.nextLong() & 0x3FFF_FFFF_FFFF_FFFFL) | 0x8000_0000_0000_0000L;
        return new UUID(high, low).toString();
    }
}
