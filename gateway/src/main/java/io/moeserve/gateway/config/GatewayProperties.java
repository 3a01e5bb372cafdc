package io.moeserve.gateway.config;

import java.net.URI;
import java.time.Duration;
import java.util.List;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/**
 * Everything the gateway can be told, bound from {@code moeserve.gateway.*} (see application.yml
 * for the defaults and the environment variables that feed them).
 */
@ConfigurationProperties("moeserve.gateway")
public record GatewayProperties(
        List<URI> routers,
        List<String> apiKeys,
        Auth auth,
        RateLimit rateLimit,
        Redis redis,
        Limits limits,
        Upstream upstream,
        Breaker breaker) {

    public GatewayProperties {
        routers = routers == null ? List.of() : List.copyOf(routers);
        apiKeys = apiKeys == null ? List.of() : apiKeys.stream().map(String::strip).filter(k -> !k.isEmpty()).toList();
        auth = auth == null ? new Auth(true, List.of(), "moeserve:apikeys", Duration.ofSeconds(30)) : auth;
        rateLimit = rateLimit == null ? new RateLimit(true, 600, 200_000, OnRedisFailure.ALLOW, "moeserve:rl:") : rateLimit;
        redis = redis == null ? new Redis(URI.create("redis://127.0.0.1:6379"), Duration.ofMillis(250)) : redis;
        limits = limits == null ? new Limits(DataSize.ofMegabytes(1)) : limits;
        upstream = upstream == null ? new Upstream(Duration.ofSeconds(2), Duration.ofSeconds(300), 3, Duration.ofSeconds(1)) : upstream;
        breaker = breaker == null ? new Breaker(50, 20, 5, Duration.ofSeconds(10), 2) : breaker;
    }

    /**
     * @param enabled      false only for local experiments: every public route is then open
     * @param apiKeyDigests SHA-256 hex digests of accepted keys (a way to configure keys without plaintext)
     * @param redisHash    Redis hash whose fields are SHA-256 hex digests of accepted keys; blank disables it
     * @param cacheTtl     how long a Redis key lookup is trusted (bounds how long a revoked key still works)
     */
    public record Auth(boolean enabled, List<String> apiKeyDigests, String redisHash, Duration cacheTtl) {
        public Auth {
            apiKeyDigests = apiKeyDigests == null ? List.of() : apiKeyDigests.stream().map(String::strip).filter(d -> !d.isEmpty()).toList();
            redisHash = redisHash == null ? "" : redisHash.strip();
            cacheTtl = cacheTtl == null ? Duration.ofSeconds(30) : cacheTtl;
        }
    }

    /**
     * Default per-key budgets (0 = unlimited); a key stored in Redis may carry its own.
     *
     * @param onRedisFailure what admission does when Redis cannot be asked in time
     */
    public record RateLimit(boolean enabled, long requestsPerMinute, long tokensPerMinute,
                            OnRedisFailure onRedisFailure, String keyPrefix) {
        public RateLimit {
            onRedisFailure = onRedisFailure == null ? OnRedisFailure.ALLOW : onRedisFailure;
            keyPrefix = keyPrefix == null ? "moeserve:rl:" : keyPrefix;
        }
    }

    /** ALLOW keeps inference available without limits while Redis is down; DENY answers 503. */
    public enum OnRedisFailure { ALLOW, DENY }

    /** @param timeout bound on every Redis call (connect and command) */
    public record Redis(URI uri, Duration timeout) {
        public Redis {
            uri = uri == null ? URI.create("redis://127.0.0.1:6379") : uri;
            timeout = timeout == null ? Duration.ofMillis(250) : timeout;
        }
    }

    /** @param maxRequestBytes counted as the body streams in, so chunked bodies are bounded too */
    public record Limits(DataSize maxRequestBytes) {
        public Limits {
            maxRequestBytes = maxRequestBytes == null ? DataSize.ofMegabytes(1) : maxRequestBytes;
        }
    }

    /**
     * @param connectTimeout  to open a connection to a router replica
     * @param responseTimeout until the router's response headers arrive (a non-streamed completion
     *                        sends them only when generation ends, so this is generous)
     * @param maxAttempts     tries per request, each on a different replica, only before the first byte
     * @param healthTimeout   for the /health probe of each replica
     */
    public record Upstream(Duration connectTimeout, Duration responseTimeout, int maxAttempts, Duration healthTimeout) {
        public Upstream {
            connectTimeout = connectTimeout == null ? Duration.ofSeconds(2) : connectTimeout;
            responseTimeout = responseTimeout == null ? Duration.ofSeconds(300) : responseTimeout;
            maxAttempts = Math.max(1, maxAttempts);
            healthTimeout = healthTimeout == null ? Duration.ofSeconds(1) : healthTimeout;
        }
    }

    /** One Resilience4j circuit breaker per router replica, count-based window. */
    public record Breaker(float failureRateThreshold, int slidingWindowSize, int minimumNumberOfCalls,
                          Duration waitDurationInOpenState, int permittedCallsInHalfOpenState) {
        public Breaker {
            failureRateThreshold = failureRateThreshold <= 0 ? 50 : failureRateThreshold;
            slidingWindowSize = Math.max(1, slidingWindowSize);
            minimumNumberOfCalls = Math.max(1, minimumNumberOfCalls);
            waitDurationInOpenState = waitDurationInOpenState == null ? Duration.ofSeconds(10) : waitDurationInOpenState;
            permittedCallsInHalfOpenState = Math.max(1, permittedCallsInHalfOpenState);
        }
    }
}
