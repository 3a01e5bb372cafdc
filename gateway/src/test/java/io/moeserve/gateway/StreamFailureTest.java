package io.moeserve.gateway;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.moeserve.gateway.support.BrokenRouter;
import io.moeserve.gateway.support.FakeRouter;
import io.moeserve.gateway.support.RedisProcess;
import io.moeserve.gateway.support.RunningGateway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Replicas dying under requests: one dies before answering (retried elsewhere: the client never
 * notices), one dies after its first streamed chunk (not retried: the client already has bytes
 * and sees the stream cut, the other replica never gets the request a second time).
 */
class StreamFailureTest {

    static final String KEY = "sk-stream-failure";
    static final String STREAM = "{\"model\":\"tiny-moe\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    static BrokenRouter diesBeforeResponse;
    static BrokenRouter diesMidStream;
    static FakeRouter healthy;
    static RedisProcess redis;
    static RunningGateway gateway;

    @BeforeAll
    static void start() throws Exception {
        diesBeforeResponse = new BrokenRouter(BrokenRouter.Mode.DIE_BEFORE_RESPONSE);
        diesMidStream = new BrokenRouter(BrokenRouter.Mode.DIE_MID_STREAM);
        healthy = new FakeRouter("healthy");
        healthy.streamGap(java.time.Duration.ofMillis(10));
        redis = RedisProcess.start();
        gateway = RunningGateway.start(Map.of(
                "moeserve.gateway.routers", diesBeforeResponse.baseUrl() + "," + diesMidStream.baseUrl() + "," + healthy.baseUrl(),
                "moeserve.gateway.api-keys", KEY,
                "moeserve.gateway.redis.uri", redis.uri(),
                "moeserve.gateway.redis.timeout", "1s",  // a loaded CI machine must not turn into "Redis down"
                "moeserve.gateway.breaker.minimum-number-of-calls", "1000",
                "moeserve.gateway.breaker.sliding-window-size", "1000"));
    }

    @AfterAll
    static void stop() throws Exception {
        gateway.close();
        diesBeforeResponse.close();
        diesMidStream.close();
        healthy.close();
        redis.close();
    }

    @Test
    void replicaDyingBeforeOrAfterFirstByte_retriedOnlyBefore() throws Exception {
        int complete = 0;
        int cut = 0;
        for (int i = 0; i < 6; i++) {
            long healthyBefore = healthy.hits("/v1/chat/completions");
            int midStreamBefore = diesMidStream.requests();
            List<String> events = new ArrayList<>();
            boolean failed = false;
            HttpResponse<InputStream> response = gateway.client().send(
                    gateway.request("/v1/chat/completions", KEY).POST(HttpRequest.BodyPublishers.ofString(STREAM)).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            assertThat(response.statusCode()).isEqualTo(200);  // never a 5xx: the early death was retried
            try (var reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
                for (String line; (line = reader.readLine()) != null; ) {
                    if (line.startsWith("data:")) {
                        events.add(line);
                    }
                }
            } catch (IOException e) {
                failed = true;  // the gateway closed the connection mid-body
            }
            boolean reachedMidStream = diesMidStream.requests() > midStreamBefore;
            if (reachedMidStream) {
                cut++;
                assertThat(failed || !events.contains("data: [DONE]")).as("a cut stream must not look complete").isTrue();
                assertThat(events).hasSizeLessThanOrEqualTo(1);
                assertThat(healthy.hits("/v1/chat/completions")).as("no retry after the first byte").isEqualTo(healthyBefore);
            } else {
                complete++;
                assertThat(failed).isFalse();
                assertThat(events.getLast()).isEqualTo("data: [DONE]");
            }
        }
        assertThat(cut).isGreaterThanOrEqualTo(1);
        assertThat(complete).isGreaterThanOrEqualTo(1);
        assertThat(diesBeforeResponse.requests()).as("the early-dying replica was tried").isGreaterThanOrEqualTo(1);
    }
}
