package io.moeserve.gateway.routing;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import io.micrometer.core.instrument.MeterRegistry;
import io.moeserve.core.api.OpenAiError;
import io.moeserve.gateway.config.GatewayProperties;
import io.moeserve.gateway.errors.GatewayException;
import io.moeserve.gateway.routing.RouterPool.Replica;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.cloud.gateway.filter.GlobalFilter;
import org.springframework.cloud.gateway.support.ServerWebExchangeUtils;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.core.Ordered;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.server.ServerWebExchange;

import static org.springframework.cloud.gateway.support.ServerWebExchangeUtils.GATEWAY_REQUEST_URL_ATTR;

/**
 * Sends a request to a router replica, and to the next one if the first could not take it:
 * load balancing, per-replica circuit breaking and retry in one place, where the load balancer
 * filter would sit (just before Netty routing).
 *
 * <p>Retry rule: only before anything was sent to the client. This filter completes when the
 * router's response headers arrived and before the body is written (NettyWriteResponseFilter
 * writes it later), so a connect failure, a connection closed before any response, or a 502/503/504
 * answer can be retried on another replica; the client has not seen a byte. Once streaming has
 * begun a failure is final. Response timeouts are not retried: the router may still be
 * generating, and a retry would double the load exactly when it is highest.
 *
 * <p>The response timeout ({@code moeserve.gateway.upstream.response-timeout}, until the response
 * headers) is this filter's, per attempt, answered 504; its timer runs on the request's own event
 * loop rather than on a shared scheduler thread that every request would have to wake.
 */
@Component
public class RouterSelectionFilter implements GlobalFilter, Ordered {

    public static final String SCHEME = "moeserve";
    /** Where Spring Cloud's load-balancer filter would run: after RouteToRequestUrlFilter (10000). */
    public static final int ORDER = 10150;
    private static final Logger log = LoggerFactory.getLogger(RouterSelectionFilter.class);

    private final RouterPool pool;
    private final int maxAttempts;
    private final Duration responseTimeout;
    private final MeterRegistry meters;
    private final EventLoopTimers timers = new EventLoopTimers();

    public RouterSelectionFilter(RouterPool pool, GatewayProperties properties, MeterRegistry meters) {
        this.pool = pool;
        this.maxAttempts = properties.upstream().maxAttempts();
        this.responseTimeout = properties.upstream().responseTimeout();
        this.meters = meters;
    }

    @Override
    public int getOrder() {
        return ORDER;
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, GatewayFilterChain chain) {
        URI url = exchange.getAttribute(GATEWAY_REQUEST_URL_ATTR);
        if (url == null || !SCHEME.equals(url.getScheme())) {
            return chain.filter(exchange);
        }
        return attempt(exchange, chain, url, new HashSet<>(), null);
    }

    private Mono<Void> attempt(ServerWebExchange exchange, GatewayFilterChain chain, URI url,
                               Set<Replica> tried, Throwable lastFailure) {
        Replica replica = pool.acquire(tried);
        if (replica == null) {
            return Mono.error(noReplica(tried.isEmpty(), lastFailure));
        }
        tried.add(replica);
        exchange.getAttributes().put(GATEWAY_REQUEST_URL_ATTR, replica.resolve(url));
        long start = System.nanoTime();
        AtomicBoolean recorded = new AtomicBoolean();
        return chain.filter(exchange)
                .timeout(responseTimeout, Mono.error(() -> new ResponseStatusException(HttpStatus.GATEWAY_TIMEOUT,
                        "Response took longer than timeout: " + responseTimeout)), timers.of(exchange))
                .then(Mono.fromSupplier(() -> Outcome.of(exchange.getResponse().getStatusCode())))
                .onErrorResume(e -> Mono.just(Outcome.failed(e)))
                .doOnCancel(() -> {
                    if (recorded.compareAndSet(false, true)) {
                        replica.breaker().releasePermission();  // client left before the router answered
                    }
                })
                .flatMap(outcome -> {
                    recorded.set(true);
                    long elapsed = System.nanoTime() - start;
                    meters.counter("moeserve.gateway.upstream.attempts", "router", replica.id(), "outcome", outcome.label())
                            .increment();
                    if (outcome.countsAsFailure()) {
                        replica.breaker().onError(elapsed, TimeUnit.NANOSECONDS, outcome.asThrowable());
                    } else {
                        replica.breaker().onSuccess(elapsed, TimeUnit.NANOSECONDS);
                    }
                    if (outcome.retryable() && tried.size() < maxAttempts && pool.hasCandidate(tried)
                            && !exchange.getResponse().isCommitted()) {
                        log.info("router {} failed before responding ({}), retrying on another replica",
                                replica.id(), outcome.label());
                        meters.counter("moeserve.gateway.upstream.retries").increment();
                        ServerWebExchangeUtils.reset(exchange);  // drops the failed response and its connection
                        return attempt(exchange, chain, url, tried, outcome.error());
                    }
                    if (outcome.error() != null) {
                        return Mono.error(outcome.retryable() ? noReplica(false, outcome.error()) : outcome.error());
                    }
                    return Mono.<Void>empty();  // the router's answer (a 503 included) goes to the client as is
                });
    }

    private GatewayException noReplica(boolean allOpen, Throwable lastFailure) {
        if (allOpen) {
            return GatewayException.retryAfter(503, OpenAiError.serviceUnavailable(
                    "All model servers are unavailable (circuit open); retry later."), pool.secondsUntilRetry());
        }
        log.warn("no router replica could take the request; last failure: {}", String.valueOf(lastFailure));
        return GatewayException.retryAfter(503, OpenAiError.serviceUnavailable(
                "No model server could take the request; retry shortly."), 1);
    }

    /** How one attempt ended: a response status, or an error before any response. */
    private record Outcome(int status, Throwable error) {

        static Outcome of(HttpStatusCode status) {
            return new Outcome(status == null ? 0 : status.value(), null);
        }

        static Outcome failed(Throwable e) {
            return new Outcome(0, e);
        }

        /** Nothing reached the client and the router did not take the request (or cannot now). */
        boolean retryable() {
            return error != null ? isConnectionFailure(error) : status == 502 || status == 503 || status == 504;
        }

        boolean countsAsFailure() {
            return error != null || status == 502 || status == 503 || status == 504;
        }

        Throwable asThrowable() {
            return error != null ? error : new IOException("router answered " + status);
        }

        String label() {
            if (error == null) {
                return status >= 500 ? "http_" + status : "ok";
            }
            if (error instanceof ResponseStatusException rse && rse.getStatusCode().value() == 504) {
                return "timeout";
            }
            return isConnectionFailure(error) ? "connection_error" : "error";
        }

        private static boolean isConnectionFailure(Throwable e) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof IOException) {
                    return true;  // connect refused/timeout, connection closed before the response (PrematureClose)
                }
            }
            return false;
        }
    }
}
