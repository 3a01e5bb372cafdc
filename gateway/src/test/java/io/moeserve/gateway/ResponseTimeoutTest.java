package io.moeserve.gateway;

import java.util.Map;

import io.moeserve.gateway.support.BrokenRouter;
import io.moeserve.gateway.support.RedisProcess;
import io.moeserve.gateway.support.RunningGateway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static io.moeserve.gateway.support.OpenAiErrors.assertError;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A replica that takes a request and never starts answering: after
 * {@code moeserve.gateway.upstream.response-timeout} the client gets 504 in OpenAI's shape, and
 * the request is not retried on the other replica (the first may still be generating).
 */
class ResponseTimeoutTest {

    static final String KEY = "sk-response-timeout";
    static BrokenRouter hungA;
    static BrokenRouter hungB;
    static RedisProcess redis;
    static RunningGateway gateway;

    @BeforeAll
    static void start() throws Exception {
        hungA = new BrokenRouter(BrokenRouter.Mode.NEVER_ANSWER);
        hungB = new BrokenRouter(BrokenRouter.Mode.NEVER_ANSWER);
        redis = RedisProcess.start();
        gateway = RunningGateway.start(Map.of(
                "moeserve.gateway.routers", hungA.baseUrl() + "," + hungB.baseUrl(),
                "moeserve.gateway.api-keys", KEY,
                "moeserve.gateway.redis.uri", redis.uri(),
                "moeserve.gateway.redis.timeout", "1s",
                "moeserve.gateway.upstream.response-timeout", "700ms"));
    }

    @AfterAll
    static void stop() throws Exception {
        gateway.close();
        hungA.close();
        hungB.close();
        redis.close();
    }

    @Test
    void routerSilentPastTheResponseTimeout_is504AndNotRetried() throws Exception {
        long start = System.nanoTime();
        var response = gateway.postJson("/v1/completions", KEY, "{\"model\":\"tiny-moe\",\"prompt\":\"x\"}");
        long elapsedMs = (System.nanoTime() - start) / 1_000_000;

        var error = assertError(response, 504, "server_error");
        assertThat(error.path("code").asString()).isEqualTo("timeout");
        assertThat(elapsedMs).isBetween(600L, 10_000L);
        assertThat(hungA.requests() + hungB.requests()).isEqualTo(1);
    }
}
