package io.moeserve.gateway;

import io.moeserve.gateway.auth.ApiKeyDigests;
import org.junit.jupiter.api.Test;

import static io.moeserve.gateway.support.OpenAiErrors.assertError;
import static org.assertj.core.api.Assertions.assertThat;

/** Redis down with on-redis-failure=allow: inference stays available, unlimited, and it shows in metrics. */
class RedisDownAllowPolicyTest extends RedisDownPolicyBase {

    @Override
    String policy() {
        return "allow";
    }

    @Test
    void redisDown_requestsStillServedAndCounted_thenLimitedAgainWhenBack() throws Exception {
        redis.stop();
        long t0 = System.nanoTime();
        var response = gateway.postJson("/v1/completions", KEY, BODY);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("x-ratelimit-remaining-requests")).isEmpty();
        assertThat(ms).as("Redis down must not stall a request").isLessThan(2000);
        assertThat(gateway.get("/metrics", null).body())
                .containsPattern("moeserve_gateway_ratelimit_redis_errors_total\\{[^}]*policy=\"allow\"[^}]*} [1-9]");

        redis.startAgain();
        awaitRateLimitedAgain();
    }

    @Test
    void redisDown_redisOnlyKeyNeverSeenBefore_is503NotLetThrough() throws Exception {
        redis.command("HSET", "moeserve:apikeys", ApiKeyDigests.hex(ApiKeyDigests.sha256("sk-known")), "known");
        redis.command("HSET", "moeserve:apikeys", ApiKeyDigests.hex(ApiKeyDigests.sha256("sk-unseen")), "unseen");
        assertThat(gateway.get("/v1/models", "sk-known").statusCode()).isEqualTo(200);
        redis.stop();

        assertThat(gateway.get("/v1/models", "sk-known").statusCode()).isEqualTo(200);  // cached
        assertError(gateway.get("/v1/models", "sk-unseen"), 503, "service_unavailable_error");
        assertError(gateway.get("/v1/models", "sk-wrong"), 503, "service_unavailable_error");
        assertThat(gateway.get("/v1/models", KEY).statusCode()).isEqualTo(200);  // configured keys need no Redis
    }
}
