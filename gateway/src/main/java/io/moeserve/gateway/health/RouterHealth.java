package io.moeserve.gateway.health;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import io.moeserve.gateway.config.GatewayProperties;
import io.moeserve.gateway.routing.RouterPool;
import io.netty.channel.ChannelOption;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient;

import org.springframework.stereotype.Component;

/**
 * Asks each router replica's {@code /health} (in parallel, each bounded by the health timeout) and
 * keeps the answer for one second, so an unauthenticated flood of /health calls costs the routers
 * at most one probe per replica per second.
 */
@Component
public class RouterHealth {

    private static final Duration CACHE_FOR = Duration.ofSeconds(1);

    private final RouterPool pool;
    private final HttpClient http;
    private final Duration timeout;
    private final Mono<Map<String, Boolean>> cached;

    public RouterHealth(RouterPool pool, GatewayProperties properties) {
        this.pool = pool;
        this.timeout = properties.upstream().healthTimeout();
        this.http = HttpClient.create()
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) timeout.toMillis())
                .responseTimeout(timeout);
        this.cached = probeAll().cache(result -> CACHE_FOR, e -> Duration.ZERO, () -> Duration.ZERO);
    }

    /** Replica base URL -> whether its /health answered 2xx in time, in configuration order. */
    public Mono<Map<String, Boolean>> status() {
        return cached;
    }

    private Mono<Map<String, Boolean>> probeAll() {
        return Flux.fromIterable(pool.replicas())
                .flatMapSequential(r -> probe(r.base().toString()).map(up -> Map.entry(r.id(), up)))
                .collect(LinkedHashMap::new, (m, e) -> m.put(e.getKey(), e.getValue()));
    }

    private Mono<Boolean> probe(String base) {
        return http.get().uri(base.replaceAll("/+$", "") + "/health")
                .responseSingle((response, body) -> body.then(Mono.just(response.status().code() / 100 == 2)))
                .timeout(timeout)
                .onErrorReturn(false);
    }
}
