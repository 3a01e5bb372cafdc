package io.moeserve.gateway.ratelimit;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.reactive.RedisReactiveCommands;
import io.moeserve.gateway.config.GatewayProperties;
import io.moeserve.gateway.redis.RedisConnector;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import org.springframework.stereotype.Component;

/**
 * Per-key request and token budgets kept in Redis by one Lua script (rate_limit.lua): admission
 * takes one request if the key has one left and is not in token debt; the tokens a response
 * used are debited when it completes. Every call is bounded by the Redis timeout; what happens
 * when Redis fails is the caller's policy ({@link RateLimitFilter}).
 */
@Component
public class RateLimiter {

    /** What admission decided; {@code reason} says which budget refused. */
    public record Decision(boolean allowed, long retryAfterMillis, long remainingRequests, long remainingTokens,
                           Reason reason) {
    }

    public enum Reason { NONE, REQUESTS, TOKENS }

    private final RedisConnector redis;
    private final String keyPrefix;
    private final String script;
    private final String sha;

    public RateLimiter(RedisConnector redis, GatewayProperties properties) {
        this.redis = redis;
        this.keyPrefix = properties.rateLimit().keyPrefix();
        this.script = loadScript();
        this.sha = sha1Hex(script);
        // load the script as soon as Redis is there, so the first request's EVALSHA does not miss
        redis.commands().flatMap(c -> c.scriptLoad(script)).subscribe(loaded -> { }, e -> { });
    }

    public Mono<Decision> admit(String bucket, long requestsPerMinute, long tokensPerMinute) {
        return run(bucket, requestsPerMinute, tokensPerMinute, "admit", 0).map(RateLimiter::toDecision);
    }

    public Mono<Void> debit(String bucket, long requestsPerMinute, long tokensPerMinute, long tokens) {
        return run(bucket, requestsPerMinute, tokensPerMinute, "debit", tokens).then();
    }

    private Mono<List<Object>> run(String bucket, long rpm, long tpm, String op, long tokens) {
        String[] keys = {keyPrefix + bucket};
        String[] args = {Long.toString(rpm), Long.toString(tpm), op, Long.toString(tokens)};
        RedisReactiveCommands<String, String> connected = redis.connected();
        if (connected != null) {
            // Lettuce's command timeout bounds the call; a Reactor timeout on top would cost every request
            // a timer task on another thread (and wake it) for nothing
            return script(connected, keys, args);
        }
        // not connected yet: the (shared) connect attempt may take longer than a request may wait
        return redis.commands().flatMap(c -> script(c, keys, args)).timeout(redis.timeout());
    }

    private Mono<List<Object>> script(RedisReactiveCommands<String, String> c, String[] keys, String[] args) {
        return collect(c.evalsha(sha, ScriptOutputType.MULTI, keys, args))
                .onErrorResume(RedisNoScriptException.class, e -> collect(c.eval(script, ScriptOutputType.MULTI, keys, args)));
    }

    @SuppressWarnings("unchecked")
    private static Mono<List<Object>> collect(Flux<Object> reply) {
        // Lettuce emits a MULTI reply either element by element or as one list, depending on version
        return reply.collectList().map(items -> items.size() == 1 && items.getFirst() instanceof List<?> inner
                ? (List<Object>) inner : items);
    }

    private static Decision toDecision(List<Object> reply) {
        long allowed = (Long) reply.get(0);
        int reason = ((Long) reply.get(4)).intValue();
        return new Decision(allowed == 1, (Long) reply.get(1), (Long) reply.get(2), (Long) reply.get(3),
                Reason.values()[reason]);
    }

    private static String loadScript() {
        try (InputStream in = RateLimiter.class.getResourceAsStream("rate_limit.lua")) {
            if (in == null) {
                throw new IllegalStateException("rate_limit.lua missing from the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String sha1Hex(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
