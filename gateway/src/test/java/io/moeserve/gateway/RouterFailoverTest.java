package io.moeserve.gateway;

import java.util.Map;

import io.moeserve.gateway.support.FakeRouter;
import io.moeserve.gateway.support.RedisProcess;
import io.moeserve.gateway.support.RunningGateway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static io.moeserve.gateway.support.OpenAiErrors.json;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Three replicas: one not listening at all, one answering 503 (overloaded), one healthy. Every
 * request must still be served, by retrying on the next replica before anything reached the client.
 */
class RouterFailoverTest {

    static final String KEY = "sk-failover";
    static FakeRouter overloaded;
    static FakeRouter healthy;
    static RedisProcess redis;
    static RunningGateway gateway;
    static String deadUrl;

    @BeforeAll
    static void start() throws Exception {
        overloaded = new FakeRouter("overloaded");
        overloaded.forceStatus(503);
        healthy = new FakeRouter("healthy");
        redis = RedisProcess.start();
        deadUrl = "http://127.0.0.1:" + RedisProcess.freePort();  // nothing listens there
        gateway = RunningGateway.start(Map.of(
                "moeserve.gateway.routers", deadUrl + "," + overloaded.baseUrl() + "," + healthy.baseUrl(),
                "moeserve.gateway.api-keys", KEY,
                "moeserve.gateway.redis.uri", redis.uri(),
                "moeserve.gateway.redis.timeout", "1s",  // a loaded CI machine must not turn into "Redis down"
                "moeserve.gateway.upstream.max-attempts", "3",
                // breakers must not open during this test: it is about retries
                "moeserve.gateway.breaker.minimum-number-of-calls", "1000",
                "moeserve.gateway.breaker.sliding-window-size", "1000"));
    }

    @AfterAll
    static void stop() throws Exception {
        gateway.close();
        overloaded.close();
        healthy.close();
        redis.close();
    }

    @Test
    void deadAndOverloadedReplicas_requestsAreRetriedOnTheHealthyOne() throws Exception {
        for (int i = 0; i < 9; i++) {
            var response = gateway.postJson("/v1/chat/completions", KEY,
                    "{\"model\":\"tiny-moe\",\"messages\":[{\"role\":\"user\",\"content\":\"hi " + i + "\"}]}");
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            assertThat(json(response.body()).path("served_by").asString()).isEqualTo("healthy");
        }
        assertThat(healthy.hits("/v1/chat/completions")).isEqualTo(9);
        // round-robin starts on each replica in turn, so the overloaded one was tried (and refused) too
        assertThat(overloaded.hits("/v1/chat/completions")).isGreaterThanOrEqualTo(3);
        // the body was replayed intact on the retry
        assertThat(healthy.received().getLast().body()).contains("\"hi 8\"");
    }

    @Test
    void health_reportsEachReplica() throws Exception {
        var response = gateway.get("/health", null);
        assertThat(response.statusCode()).isEqualTo(200);
        var routers = json(response.body()).path("routers");
        assertThat(routers.path(deadUrl).asString()).isEqualTo("down");
        assertThat(routers.path(healthy.baseUrl()).asString()).isEqualTo("up");
    }
}
