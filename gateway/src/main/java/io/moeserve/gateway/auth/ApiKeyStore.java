package io.moeserve.gateway.auth;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.moeserve.core.api.OpenAiError;
import io.moeserve.gateway.config.GatewayProperties;
import io.moeserve.gateway.errors.GatewayException;
import io.moeserve.gateway.redis.RedisConnector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.stereotype.Component;

/**
 * Answers "is this key accepted, and whose is it": first the configured keys (constant-time, no
 * I/O), then the Redis hash {@code moeserve.gateway.auth.redis-hash} whose fields are SHA-256 hex
 * digests. A Redis field's value is either a display name or a JSON object
 * {@code {"name":"alice","requests_per_minute":60,"tokens_per_minute":100000}} for per-key budgets.
 *
 * <p>Redis answers are cached for {@code cache-ttl} (misses for at most 5 s) so a request costs no
 * key lookup round trip. Redis down: configured keys keep working; a Redis-only key is served from
 * the (even expired) cache if seen before, otherwise the request gets 503 - never let through.
 * The Redis lookup is by digest, a hash lookup whose timing can only leak information about the
 * digest, not about the key (SHA-256 preimage resistance).
 */
@Component
public class ApiKeyStore {

    private static final Logger log = LoggerFactory.getLogger(ApiKeyStore.class);
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final int MAX_CACHE_ENTRIES = 10_000;

    private final ApiKeyDigests configured;
    private final RedisConnector redis;
    private final String redisHash;
    private final long positiveTtlNanos;
    private final long negativeTtlNanos;
    private final ConcurrentHashMap<String, Cached> cache = new ConcurrentHashMap<>();
    private final Counter redisErrors;

    private record Cached(Optional<ApiKeyIdentity> identity, long expiresAt) {
    }

    public ApiKeyStore(GatewayProperties properties, RedisConnector redis, MeterRegistry meters) {
        this.configured = ApiKeyDigests.of(properties.apiKeys(), properties.auth().apiKeyDigests());
        this.redis = redis;
        this.redisHash = properties.auth().redisHash();
        this.positiveTtlNanos = properties.auth().cacheTtl().toNanos();
        this.negativeTtlNanos = Math.min(positiveTtlNanos, Duration.ofSeconds(5).toNanos());
        this.redisErrors = Counter.builder("moeserve.gateway.apikey.redis.errors")
                .description("API key lookups that could not ask Redis").register(meters);
        if (configured.isEmpty() && redisHash.isEmpty() && properties.auth().enabled()) {
            log.warn("no API keys configured (moeserve.gateway.api-keys / MOESERVE_API_KEYS) and no Redis key hash: "
                    + "every request will get 401");
        }
    }

    /** The identity for {@code key}, empty if the key is not accepted. */
    public Mono<ApiKeyIdentity> lookup(String key) {
        byte[] digest = ApiKeyDigests.sha256(key);
        String hex = ApiKeyDigests.hex(digest);
        if (configured.contains(digest)) {
            return Mono.just(new ApiKeyIdentity(hex, "configured", null, null));
        }
        if (redisHash.isEmpty()) {
            return Mono.empty();
        }
        Cached cached = cache.get(hex);
        long now = System.nanoTime();
        if (cached != null && now - cached.expiresAt() < 0) {
            return Mono.justOrEmpty(cached.identity());
        }
        return redis.commands()
                .flatMap(c -> c.hget(redisHash, hex).timeout(redis.timeout()))
                .map(value -> Optional.of(parse(hex, value)))
                .defaultIfEmpty(Optional.empty())
                .doOnNext(found -> remember(hex, found))
                .onErrorResume(e -> {
                    redisErrors.increment();
                    if (cached != null && cached.identity().isPresent()) {
                        return Mono.just(cached.identity());  // stale but was valid: availability wins
                    }
                    log.warn("API key lookup failed, Redis unavailable: {}", e.toString());
                    return Mono.error(GatewayException.retryAfter(503, OpenAiError.serviceUnavailable(
                            "The API key store is unavailable; retry shortly."), 1));
                })
                .flatMap(Mono::justOrEmpty);
    }

    private void remember(String hex, Optional<ApiKeyIdentity> found) {
        if (cache.size() >= MAX_CACHE_ENTRIES) {
            cache.clear();  // crude bound: a flood of random keys must not grow the heap
        }
        long ttl = found.isPresent() ? positiveTtlNanos : negativeTtlNanos;
        cache.put(hex, new Cached(found, System.nanoTime() + ttl));
    }

    static ApiKeyIdentity parse(String hex, String value) {
        String v = value == null ? "" : value.strip();
        if (!v.startsWith("{")) {
            return new ApiKeyIdentity(hex, v.isEmpty() ? "redis" : v, null, null);
        }
        try {
            JsonNode node = JSON.readTree(v);
            return new ApiKeyIdentity(hex,
                    node.path("name").asString("redis"),
                    node.hasNonNull("requests_per_minute") ? node.get("requests_per_minute").asLong() : null,
                    node.hasNonNull("tokens_per_minute") ? node.get("tokens_per_minute").asLong() : null);
        } catch (RuntimeException e) {
            ApiKeyIdentity fallback = new ApiKeyIdentity(hex, "redis", null, null);
            log.warn("API key {} has an unreadable Redis value; using default limits", fallback.shortId());
            return fallback;
        }
    }
}
