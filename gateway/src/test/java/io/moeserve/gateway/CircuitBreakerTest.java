package io.moeserve.gateway;

import java.net.http.HttpResponse;
import java.util.Map;

import io.moeserve.gateway.support.FakeRouter;
import io.moeserve.gateway.support.RedisProcess;
import io.moeserve.gateway.support.RunningGateway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static io.moeserve.gateway.support.OpenAiErrors.assertError;
import static org.assertj.core.api.Assertions.assertThat;

/** Both replicas failing: their breakers open, the gateway answers 503 itself, then recovers. */
class CircuitBreakerTest {

    static final String KEY = "sk-breaker";
    static final String BODY = "{\"model\":\"tiny-moe\",\"prompt\":\"x\"}";
    static FakeRouter first;
    static FakeRouter second;
    static RedisProcess redis;
    static RunningGateway gateway;

    @BeforeAll
    static void start() throws Exception {
        first = new FakeRouter("first");
        second = new FakeRouter("second");
        redis = RedisProcess.start();
        gateway = RunningGateway.start(Map.of(
                "moeserve.gateway.routers", first.baseUrl() + "," + second.baseUrl(),
                "moeserve.gateway.api-keys", KEY,
                "moeserve.gateway.redis.uri", redis.uri(),
                "moeserve.gateway.redis.timeout", "1s",  // a loaded CI machine must not turn into "Redis down"
                "moeserve.gateway.breaker.sliding-window-size", "4",
                "moeserve.gateway.breaker.minimum-number-of-calls", "2",
                "moeserve.gateway.breaker.wait-duration-in-open-state", "2s"));
    }

    @AfterAll
    static void stop() throws Exception {
        gateway.close();
        first.close();
        second.close();
        redis.close();
    }

    @Test
    void allReplicasFailing_breakersOpen_gatewayAnswers503WithRetryAfter_thenRecovers() throws Exception {
        first.forceStatus(503);
        second.forceStatus(503);
        HttpResponse<String> response = null;
        for (int i = 0; i < 10; i++) {
            response = gateway.postJson("/v1/completions", KEY, BODY);
            assertThat(response.statusCode()).isEqualTo(503);
            if (response.body().contains("circuit open")) {
                break;
            }
        }
        var error = assertError(response, 503, "service_unavailable_error");
        assertThat(error.path("code").asString()).isEqualTo("service_unavailable");
        long retryAfter = Long.parseLong(response.headers().firstValue("Retry-After").orElseThrow());
        assertThat(retryAfter).isBetween(1L, 2L);

        // while open, the replicas are not bothered at all
        long hits = first.hits("/v1") + second.hits("/v1");
        assertError(gateway.postJson("/v1/completions", KEY, BODY), 503, "service_unavailable_error");
        assertThat(first.hits("/v1") + second.hits("/v1")).isEqualTo(hits);
        assertThat(gateway.get("/metrics", null).body())
                .containsPattern("moeserve_gateway_router_breaker_state\\{[^}]*router=\"" + first.baseUrl() + "\"[^}]*} 1");

        // replicas healthy again: after the wait, half-open trial calls succeed and close the breakers
        first.forceStatus(0);
        second.forceStatus(0);
        Thread.sleep(retryAfter * 1000 + 200);
        for (int i = 0; i < 4; i++) {
            assertThat(gateway.postJson("/v1/completions", KEY, BODY).statusCode()).isEqualTo(200);
        }
    }
}
