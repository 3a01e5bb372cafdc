package io.moeserve.gateway;

import org.junit.jupiter.api.Test;

import static io.moeserve.gateway.support.OpenAiErrors.assertError;
import static org.assertj.core.api.Assertions.assertThat;

/** Redis down with on-redis-failure=deny: requests are refused with 503 until Redis is back. */
class RedisDownDenyPolicyTest extends RedisDownPolicyBase {

    @Override
    String policy() {
        return "deny";
    }

    @Test
    void redisDown_requestsRefused503_thenServedWhenBack() throws Exception {
        redis.stop();
        var response = gateway.postJson("/v1/completions", KEY, BODY);
        var error = assertError(response, 503, "service_unavailable_error");
        assertThat(error.path("message").asString()).contains("Rate limiting is unavailable");
        assertThat(response.headers().firstValue("Retry-After")).isPresent();
        long before = router.hits("/v1/completions");
        assertThat(gateway.postJson("/v1/completions", KEY, BODY).statusCode()).isEqualTo(503);
        assertThat(router.hits("/v1/completions")).isEqualTo(before);

        redis.startAgain();
        awaitRateLimitedAgain();
    }
}
