package io.moeserve.gateway.auth;

import io.moeserve.core.api.OpenAiError;
import io.moeserve.gateway.config.GatewayProperties;
import io.moeserve.gateway.errors.GatewayException;
import io.moeserve.gateway.routing.UpstreamHeadersFilter;
import reactor.core.publisher.Mono;

import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.cloud.gateway.filter.GlobalFilter;
import org.springframework.core.Ordered;
import org.springframework.http.HttpHeaders;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;

/**
 * {@code Authorization: Bearer KEY} on every proxied route (the gateway's own /health and
 * /metrics are not routes, so they stay open). Accepted keys become an {@link ApiKeyIdentity}
 * attribute; the key itself is removed before the request goes on, so routers never see (or log)
 * it, and they get the digest prefix as {@code X-Moeserve-Key-Id} instead ({@link UpstreamHeadersFilter}).
 */
@Component
public class ApiKeyFilter implements GlobalFilter, Ordered {

    public static final int ORDER = -900;
    private static final ApiKeyIdentity ANONYMOUS = new ApiKeyIdentity("anonymous", "anonymous", null, null);

    private final ApiKeyStore store;
    private final boolean enabled;

    public ApiKeyFilter(ApiKeyStore store, GatewayProperties properties) {
        this.store = store;
        this.enabled = properties.auth().enabled();
    }

    @Override
    public int getOrder() {
        return ORDER;
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, GatewayFilterChain chain) {
        if (!enabled) {
            exchange.getAttributes().put(ApiKeyIdentity.ATTR, ANONYMOUS);
            return chain.filter(exchange);
        }
        String key = bearerKey(exchange.getRequest().getHeaders().getFirst(HttpHeaders.AUTHORIZATION));
        if (key == null) {
            return Mono.error(new GatewayException(401, OpenAiError.authentication(
                    "You didn't provide an API key. You need to provide your API key in an Authorization header "
                            + "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).")));
        }
        return store.lookup(key)
                .switchIfEmpty(Mono.error(() -> new GatewayException(401, OpenAiError.authentication(
                        "Incorrect API key provided."))))
                .flatMap(identity -> {
                    exchange.getAttributes().put(ApiKeyIdentity.ATTR, identity);
                    // the router gets the key's id instead of the key (UpstreamHeadersFilter)
                    exchange.getAttributes().put(UpstreamHeadersFilter.KEY_ID_ATTR, identity.shortId());
                    return chain.filter(exchange);
                });
    }

    /** The key of a {@code Bearer} authorization value (scheme case-insensitive), or null. */
    static String bearerKey(String authorization) {
        if (authorization == null) {
            return null;
        }
        String value = authorization.strip();
        if (value.length() < 7 || !value.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        String key = value.substring(7).strip();
        return key.isEmpty() ? null : key;
    }
}
