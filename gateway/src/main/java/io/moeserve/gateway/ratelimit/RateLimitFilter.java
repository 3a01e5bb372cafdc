package io.moeserve.gateway.ratelimit;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.moeserve.core.api.OpenAiError;
import io.moeserve.gateway.auth.ApiKeyIdentity;
import io.moeserve.gateway.config.GatewayProperties;
import io.moeserve.gateway.config.GatewayProperties.OnRedisFailure;
import io.moeserve.gateway.errors.GatewayException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.cloud.gateway.filter.GlobalFilter;
import org.springframework.core.Ordered;
import org.springframework.http.HttpHeaders;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;

/**
 * Per-key admission (requests and tokens per minute) before anything is forwarded, and the token
 * debit after the response. Refusals are 429 with {@code Retry-After} (seconds) and OpenAI's
 * {@code x-ratelimit-*} headers.
 *
 * <p>Redis down (or slower than its timeout) - the documented choice, configurable by
 * {@code moeserve.gateway.rate-limit.on-redis-failure}: {@code allow} (default) serves the
 * request unlimited, because serving inference matters more than enforcing quotas for the
 * minutes Redis is away; every such request counts in
 * {@code moeserve_gateway_ratelimit_redis_errors_total} and a warning is logged (at most every
 * 10 s). {@code deny} answers 503 instead. Unlike Spring's RedisRateLimiter, neither is silent.
 */
@Component
public class RateLimitFilter implements GlobalFilter, Ordered {

    public static final int ORDER = -800;
    /** Exchange attribute: the response's token usage is needed (the key has a token budget). */
    public static final String NEEDS_USAGE_ATTR = RateLimitFilter.class.getName() + ".needsUsage";
    /** Exchange attribute: include_usage was turned on by the gateway; drop the usage-only chunk. */
    public static final String STRIP_USAGE_CHUNK_ATTR = RateLimitFilter.class.getName() + ".stripUsageChunk";

    private static final Logger log = LoggerFactory.getLogger(RateLimitFilter.class);
    private static final long WARN_SPACING_NANOS = Duration.ofSeconds(10).toNanos();

    private final RateLimiter limiter;
    private final GatewayProperties.RateLimit config;
    private final MeterRegistry meters;
    private final Counter redisErrors;
    private final AtomicLong lastWarn = new AtomicLong(System.nanoTime() - WARN_SPACING_NANOS);

    public RateLimitFilter(RateLimiter limiter, GatewayProperties properties, MeterRegistry meters) {
        this.limiter = limiter;
        this.config = properties.rateLimit();
        this.meters = meters;
        this.redisErrors = Counter.builder("moeserve.gateway.ratelimit.redis.errors")
                .description("Rate-limit calls that failed because Redis was unavailable or slow")
                .tag("policy", config.onRedisFailure().name().toLowerCase())
                .register(meters);
    }

    @Override
    public int getOrder() {
        return ORDER;
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, GatewayFilterChain chain) {
        ApiKeyIdentity identity = exchange.getAttribute(ApiKeyIdentity.ATTR);
        if (!config.enabled() || identity == null) {
            return chain.filter(exchange);
        }
        long rpm = identity.requestsPerMinute() != null ? identity.requestsPerMinute() : config.requestsPerMinute();
        long tpm = identity.tokensPerMinute() != null ? identity.tokensPerMinute() : config.tokensPerMinute();
        if (rpm <= 0 && tpm <= 0) {
            return chain.filter(exchange);
        }
        return limiter.admit(identity.digestHex(), rpm, tpm)
                .map(decision -> {
                    if (!decision.allowed()) {
                        throw rejection(decision, rpm, tpm);
                    }
                    HttpHeaders headers = exchange.getResponse().getHeaders();
                    if (rpm > 0) {
                        headers.set("x-ratelimit-limit-requests", Long.toString(rpm));
                        headers.set("x-ratelimit-remaining-requests", Long.toString(Math.max(0, decision.remainingRequests())));
                    }
                    if (tpm > 0) {
                        headers.set("x-ratelimit-limit-tokens", Long.toString(tpm));
                        headers.set("x-ratelimit-remaining-tokens", Long.toString(Math.max(0, decision.remainingTokens())));
                    }
                    return Boolean.TRUE;
                })
                .onErrorResume(e -> !(e instanceof GatewayException), e -> onRedisFailure(e))
                // flatMap, not then(): a discarded value costs a walk up the whole subscriber chain
                .flatMap(admitted -> chain.filter(tpm > 0 ? withUsageDebit(exchange, identity, rpm, tpm) : exchange));
    }

    private ServerWebExchange withUsageDebit(ServerWebExchange exchange, ApiKeyIdentity identity, long rpm, long tpm) {
        exchange.getAttributes().put(NEEDS_USAGE_ATTR, Boolean.TRUE);
        var response = new UsageCapturingResponse(exchange.getResponse(), exchange.getAttributes(), tokens ->
                limiter.debit(identity.digestHex(), rpm, tpm, tokens)
                        .doOnError(e -> {
                            redisErrors.increment();
                            warn("token debit of " + tokens + " for key " + identity.shortId() + " lost: " + e);
                        })
                        .onErrorComplete()
                        .subscribe());
        return exchange.mutate().response(response).build();
    }

    private GatewayException rejection(RateLimiter.Decision decision, long rpm, long tpm) {
        boolean tokens = decision.reason() == RateLimiter.Reason.TOKENS;
        meters.counter("moeserve.gateway.ratelimit.rejected", "reason", tokens ? "tokens" : "requests").increment();
        long seconds = Math.max(1, (decision.retryAfterMillis() + 999) / 1000);
        String message = tokens
                ? "Rate limit reached for tokens per minute (limit " + tpm + "). Please try again in " + seconds + "s."
                : "Rate limit reached for requests per minute (limit " + rpm + "). Please try again in " + seconds + "s.";
        return new GatewayException(429, OpenAiError.rateLimited(message), java.util.Map.of(
                "Retry-After", Long.toString(seconds),
                tokens ? "x-ratelimit-limit-tokens" : "x-ratelimit-limit-requests", Long.toString(tokens ? tpm : rpm),
                tokens ? "x-ratelimit-remaining-tokens" : "x-ratelimit-remaining-requests", "0"));
    }

    private Mono<Boolean> onRedisFailure(Throwable e) {
        redisErrors.increment();
        if (config.onRedisFailure() == OnRedisFailure.ALLOW) {
            warn("rate limiting skipped (on-redis-failure=allow), Redis unavailable: " + e);
            return Mono.just(Boolean.TRUE);
        }
        warn("request refused (on-redis-failure=deny), Redis unavailable: " + e);
        return Mono.error(GatewayException.retryAfter(503, OpenAiError.serviceUnavailable(
                "Rate limiting is unavailable, so requests are refused for now; retry shortly."), 1));
    }

    private void warn(String message) {
        long now = System.nanoTime();
        long last = lastWarn.get();
        if (now - last >= WARN_SPACING_NANOS && lastWarn.compareAndSet(last, now)) {
            log.warn(message);
        }
    }
}
