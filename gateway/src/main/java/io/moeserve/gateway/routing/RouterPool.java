package io.moeserve.gateway.routing;

import java.net.URI;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.moeserve.gateway.config.GatewayProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.stereotype.Component;

/**
 * The router replicas the gateway balances over, each guarded by its own Resilience4j circuit
 * breaker: a replica whose breaker is open gets no traffic until its wait is over, then a few
 * trial requests (half-open). Selection is round-robin over the replicas whose breaker grants a
 * permission, skipping those a request already tried.
 */
@Component
public class RouterPool {

    private static final Logger log = LoggerFactory.getLogger(RouterPool.class);

    /** One router replica: its base URL, its breaker and when that breaker last opened. */
    public record Replica(URI base, CircuitBreaker breaker, AtomicLong openedAtNanos) {

        /** {@code url} (path and query of the client's request) sent to this replica. */
        URI resolve(URI url) {
            String prefix = base.toString().replaceAll("/+$", "");
            String query = url.getRawQuery();
            return URI.create(prefix + url.getRawPath() + (query != null ? "?" + query : ""));
        }

        public String id() {
            return base.toString();
        }
    }

    private final List<Replica> replicas;
    private final AtomicInteger next = new AtomicInteger();
    private final long waitNanos;

    public RouterPool(GatewayProperties properties, MeterRegistry meters) {
        if (properties.routers().isEmpty()) {
            throw new IllegalStateException("moeserve.gateway.routers (MOESERVE_ROUTERS) lists no router replica");
        }
        GatewayProperties.Breaker b = properties.breaker();
        CircuitBreakerConfig config = CircuitBreakerConfig.custom()
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(b.slidingWindowSize())
                .minimumNumberOfCalls(b.minimumNumberOfCalls())
                .failureRateThreshold(b.failureRateThreshold())
                .waitDurationInOpenState(b.waitDurationInOpenState())
                .permittedNumberOfCallsInHalfOpenState(b.permittedCallsInHalfOpenState())
                .recordException(e -> true)
                .build();
        this.waitNanos = b.waitDurationInOpenState().toNanos();
        this.replicas = properties.routers().stream().map(uri -> {
            var replica = new Replica(uri, CircuitBreaker.of("router " + uri, config), new AtomicLong());
            replica.breaker().getEventPublisher().onStateTransition(event -> {
                if (event.getStateTransition().getToState() == CircuitBreaker.State.OPEN) {
                    replica.openedAtNanos().set(System.nanoTime());
                }
                log.warn("router {} circuit breaker: {}", uri, event.getStateTransition());
            });
            Gauge.builder("moeserve.gateway.router.breaker.state", replica, r -> stateValue(r.breaker().getState()))
                    .description("Circuit breaker per router replica: 0 closed, 1 open, 2 half-open")
                    .tag("router", uri.toString())
                    .register(meters);
            return replica;
        }).toList();
        log.info("router replicas: {}", properties.routers());
    }

    public List<Replica> replicas() {
        return replicas;
    }

    /**
     * The next replica (round-robin) not in {@code tried} whose breaker grants a call, or null.
     * A granted permission must be ended by {@code onSuccess}, {@code onError} or {@code releasePermission}.
     */
    Replica acquire(Set<Replica> tried) {
        int n = replicas.size();
        int start = Math.floorMod(next.getAndIncrement(), n);
        for (int i = 0; i < n; i++) {
            Replica r = replicas.get((start + i) % n);
            if (!tried.contains(r) && r.breaker().tryAcquirePermission()) {
                return r;
            }
        }
        return null;
    }

    /** Whether some replica not in {@code tried} might take a call (its breaker is not open, or its wait is over). */
    boolean hasCandidate(Set<Replica> tried) {
        long now = System.nanoTime();
        return replicas.stream().anyMatch(r -> !tried.contains(r)
                && (r.breaker().getState() != CircuitBreaker.State.OPEN || now - r.openedAtNanos().get() >= waitNanos));
    }

    /** Seconds until the first open breaker lets a trial call through (at least 1). */
    long secondsUntilRetry() {
        long now = System.nanoTime();
        long min = replicas.stream()
                .filter(r -> r.breaker().getState() == CircuitBreaker.State.OPEN)
                .mapToLong(r -> waitNanos - (now - r.openedAtNanos().get()))
                .min().orElse(0);
        return Math.max(1, (min + 999_999_999L) / 1_000_000_000L);
    }

    private static int stateValue(CircuitBreaker.State state) {
        return switch (state) {
            case CLOSED -> 0;
            case OPEN, FORCED_OPEN -> 1;
            case HALF_OPEN -> 2;
            default -> 3;
        };
    }
}
