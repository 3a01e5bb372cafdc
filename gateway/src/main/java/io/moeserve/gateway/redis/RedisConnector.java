package io.moeserve.gateway.redis;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.reactive.RedisReactiveCommands;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.Delay;
import io.moeserve.gateway.config.GatewayProperties;
import jakarta.annotation.PreDestroy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

import org.springframework.stereotype.Component;

/**
 * Owns the gateway's one Lettuce connection to Redis (auth key store and rate limits).
 *
 * <p>Built so that Redis being down costs a request at most {@code timeout}, usually nothing:
 * the gateway starts without Redis, connects lazily (one attempt per second at most), and once
 * connected Lettuce reconnects in the background while commands are rejected at once
 * ({@code REJECT_COMMANDS}) instead of queueing until they time out.
 */
@Component
public class RedisConnector {

    private static final Logger log = LoggerFactory.getLogger(RedisConnector.class);
    private static final Duration CONNECT_ATTEMPT_TIMEOUT = Duration.ofSeconds(5);
    private static final long RECONNECT_SPACING_NANOS = Duration.ofSeconds(1).toNanos();

    private final ClientResources resources;
    private final RedisClient client;
    private final RedisURI uri;
    private final Duration timeout;
    private final AtomicReference<StatefulRedisConnection<String, String>> connection = new AtomicReference<>();
    private final AtomicReference<Mono<StatefulRedisConnection<String, String>>> connecting = new AtomicReference<>();
    private final AtomicLong lastAttempt = new AtomicLong(System.nanoTime() - RECONNECT_SPACING_NANOS);

    public RedisConnector(GatewayProperties properties) {
        this.timeout = properties.redis().timeout();
        this.uri = RedisURI.create(properties.redis().uri());
        this.uri.setTimeout(CONNECT_ATTEMPT_TIMEOUT);  // the connect handshake; commands use TimeoutOptions below
        // reconnect quickly after an outage (Lettuce's default backs off to 30 s): limits resume within ~2 s
        this.resources = DefaultClientResources.builder()
                .reconnectDelay(Delay.exponential(Duration.ofMillis(100), Duration.ofSeconds(2), 2, TimeUnit.MILLISECONDS))
                .build();
        this.client = RedisClient.create(resources);
        this.client.setOptions(ClientOptions.builder()
                .autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .socketOptions(SocketOptions.builder().connectTimeout(CONNECT_ATTEMPT_TIMEOUT).keepAlive(true).build())
                .timeoutOptions(TimeoutOptions.enabled(timeout))
                .build());
        // connect now, in the background, so the first request does not pay for it (a failure is retried lazily)
        connect().subscribe(c -> { }, e -> log.warn("Redis not reachable at startup ({}); rate limits follow "
                + "moeserve.gateway.rate-limit.on-redis-failure until it is", e.getMessage()));
    }

    /** The bound every caller puts on a Redis call, on top of Lettuce's own command timeout. */
    public Duration timeout() {
        return timeout;
    }

    /**
     * Commands of the live connection, or null while there is none. A command sent on it is bounded
     * by Lettuce's own command timeout ({@link #timeout()}), so a caller needs no timer of its own;
     * while Lettuce reconnects, commands fail at once.
     */
    public RedisReactiveCommands<String, String> connected() {
        StatefulRedisConnection<String, String> current = connection.get();
        return current != null ? current.reactive() : null;
    }

    /** Commands of the live connection; fails fast (no wait) while Redis is unreachable. */
    public Mono<RedisReactiveCommands<String, String>> commands() {
        StatefulRedisConnection<String, String> current = connection.get();
        if (current != null) {
            return Mono.just(current.reactive());
        }
        return connect().map(StatefulRedisConnection::reactive);
    }

    private Mono<StatefulRedisConnection<String, String>> connect() {
        Mono<StatefulRedisConnection<String, String>> inFlight = connecting.get();
        if (inFlight != null) {
            return inFlight;
        }
        long now = System.nanoTime();
        long last = lastAttempt.get();
        if (now - last < RECONNECT_SPACING_NANOS || !lastAttempt.compareAndSet(last, now)) {
            return Mono.error(new RedisUnavailableException("Redis not connected (reconnect attempt pending)"));
        }
        Mono<StatefulRedisConnection<String, String>> attempt = Mono
                .fromCompletionStage(() -> client.connectAsync(StringCodec.UTF8, uri).toCompletableFuture())
                // longer than a command: requests never wait for it beyond their own timeout (the attempt is
                // cached and outlives them), and the first connect also warms up Netty
                .timeout(CONNECT_ATTEMPT_TIMEOUT)
                .doOnNext(c -> {
                    if (!connection.compareAndSet(null, c)) {
                        c.closeAsync();
                    } else {
                        log.info("connected to Redis at {}", uri.getHost() + ":" + uri.getPort());
                    }
                })
                .map(c -> connection.get())
                .onErrorMap(e -> !(e instanceof RedisUnavailableException),
                        e -> new RedisUnavailableException("Redis connect failed: " + e
                                + (e.getCause() != null ? " (" + e.getCause() + ")" : "")))
                .doFinally(s -> connecting.set(null))
                .cache();
        return connecting.compareAndSet(null, attempt) ? attempt : connect();
    }

    @PreDestroy
    public void close() {
        StatefulRedisConnection<String, String> c = connection.getAndSet(null);
        if (c != null) {
            c.close();
        }
        client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
        resources.shutdown(0, 1, TimeUnit.SECONDS);
    }

    /** Redis could not be reached; callers apply their documented policy. */
    public static final class RedisUnavailableException extends RuntimeException {
        public RedisUnavailableException(String message) {
            super(message, null, false, false);
        }
    }
}
