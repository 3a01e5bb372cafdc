package io.moeserve.gateway;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.moeserve.gateway.auth.ApiKeyDigests;
import io.moeserve.gateway.support.FakeRouter;
import io.moeserve.gateway.support.RedisProcess;
import io.moeserve.gateway.support.RunningGateway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static io.moeserve.gateway.support.OpenAiErrors.assertError;
import static io.moeserve.gateway.support.OpenAiErrors.json;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The gateway in front of two real (fake) router replicas and a real Redis: auth, routing,
 * errors, size limits, streaming and per-key limits, end to end over HTTP.
 */
class GatewayProxyTest {

    static final String KEY = "sk-test-config-key";
    static final String CHAT = "{\"model\":\"tiny-moe\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    static FakeRouter routerA;
    static FakeRouter routerB;
    static RedisProcess redis;
    static RunningGateway gateway;

    @BeforeAll
    static void start() throws Exception {
        routerA = new FakeRouter("A");
        routerB = new FakeRouter("B");
        redis = RedisProcess.start();
        gateway = RunningGateway.start(Map.of(
                "moeserve.gateway.routers", routerA.baseUrl() + "," + routerB.baseUrl(),
                "moeserve.gateway.api-keys", KEY,
                "moeserve.gateway.redis.uri", redis.uri(),
                "moeserve.gateway.redis.timeout", "1s",  // a loaded CI machine must not turn into "Redis down"
                "moeserve.gateway.rate-limit.requests-per-minute", "10000",
                "moeserve.gateway.rate-limit.tokens-per-minute", "10000000"));
    }

    @AfterAll
    static void stop() throws Exception {
        gateway.close();
        routerA.close();
        routerB.close();
        redis.close();
    }

    /** Stores {@code key} in the Redis key hash the way an operator would: by SHA-256 digest. */
    static void storeKeyInRedis(String key, String value) throws Exception {
        String reply = redis.command("HSET", "moeserve:apikeys", ApiKeyDigests.hex(ApiKeyDigests.sha256(key)), value);
        assertThat(reply).startsWith(":");
    }

    @Test
    void missingKey_isRejected401() throws Exception {
        var response = gateway.get("/v1/models", null);
        var error = assertError(response, 401, "authentication_error");
        assertThat(error.path("code").asString()).isEqualTo("invalid_api_key");
    }

    @Test
    void wrongKey_isRejected401() throws Exception {
        assertError(gateway.get("/v1/models", KEY + "x"), 401, "authentication_error");
        assertError(gateway.send(gateway.request("/v1/models", null).header("Authorization", "Basic " + KEY).build()),
                401, "authentication_error");
    }

    @Test
    void rightKey_isServedAndNotForwardedToTheRouter() throws Exception {
        var response = gateway.get("/v1/models", KEY);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(json(response.body()).path("data").get(0).path("id").asString()).isEqualTo("tiny-moe");
        assertThat(response.headers().firstValue("X-Request-Id")).isPresent();

        List<FakeRouter.Received> seen = new ArrayList<>(routerA.received());
        seen.addAll(routerB.received());
        FakeRouter.Received models = seen.stream().filter(r -> r.path().equals("/v1/models")).findFirst().orElseThrow();
        assertThat(models.header("Authorization")).isNull();
        assertThat(models.header("X-Moeserve-Key-Id"))
                .isEqualTo(ApiKeyDigests.hex(ApiKeyDigests.sha256(KEY)).substring(0, 16));
    }

    @Test
    void keyStoredInRedisAsDigest_isAccepted() throws Exception {
        storeKeyInRedis("sk-redis-key", "alice");
        assertThat(gateway.get("/v1/models/tiny-moe", "sk-redis-key").statusCode()).isEqualTo(200);
    }

    @Test
    void internalAndUnknownRoutes_are404AndNeverForwarded() throws Exception {
        long before = routerA.hits("/internal") + routerB.hits("/internal");
        assertError(gateway.get("/internal/secret", KEY), 404, "not_found_error");
        assertError(gateway.get("/actuator/health", KEY), 404, "not_found_error");
        assertError(gateway.get("/actuator/prometheus", null), 404, "not_found_error");
        assertError(gateway.postJson("/v1/models", KEY, "{}"), 404, "not_found_error");
        assertError(gateway.get("/v1/chat/completions", KEY), 404, "not_found_error");
        assertThat(routerA.hits("/internal") + routerB.hits("/internal")).isEqualTo(before);
    }

    @Test
    void pathClimbingOutOfAPublicRoute_is404AndNeverForwarded() throws Exception {
        for (String path : List.of("/v1/models/../../internal/secret", "/v1/models/..%2F..%2Finternal%2Fsecret",
                "/v1/models/%2e%2e/%2e%2e/internal/secret", "/v1/models//tiny-moe")) {
            var error = assertError(gateway.get(path, KEY), 404, "not_found_error");
            assertThat(error.path("message").asString()).as(path).startsWith("Invalid URL");
        }
        assertThat(routerA.received()).noneMatch(r -> r.path().contains("internal") || r.path().contains(".."));
        assertThat(routerB.received()).noneMatch(r -> r.path().contains("internal") || r.path().contains(".."));
    }

    @Test
    void modelIdWithASlash_isForwarded() throws Exception {
        assertThat(gateway.get("/v1/models/mistralai/Mixtral-8x7B", KEY).body()).isEqualTo(FakeRouter.MODEL_NOT_FOUND_BODY);
    }

    @Test
    void malformedJson_is400() throws Exception {
        var error = assertError(gateway.postJson("/v1/chat/completions", KEY, "{\"model\": \"tiny-moe\", "),
                400, "invalid_request_error");
        assertThat(error.path("code").asString()).isEqualTo("invalid_json");
        assertError(gateway.postJson("/v1/completions", KEY, "[1,2,3]"), 400, "invalid_request_error");
        assertError(gateway.postJson("/v1/completions", KEY, ""), 400, "invalid_request_error");
        assertError(gateway.postJson("/v1/completions", KEY, "{} {}"), 400, "invalid_request_error");
    }

    @Test
    void invalidUtf8Body_is400() throws Exception {
        byte[] body = "{\"model\":\"tiny-moe\",\"prompt\":\"\u0000X\"}".getBytes(StandardCharsets.UTF_8);
        body[body.length - 4] = (byte) 0xC3;  // a lead byte followed by '"' is not UTF-8
        var response = gateway.send(gateway.request("/v1/completions", KEY)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build());
        assertError(response, 400, "invalid_request_error");
    }

    @Test
    void tenMegabyteBodyWithContentLength_is413() throws Exception {
        byte[] big = new byte[10 * 1024 * 1024];
        java.util.Arrays.fill(big, (byte) 'a');
        var response = gateway.send(gateway.request("/v1/completions", KEY)
                .POST(HttpRequest.BodyPublishers.ofByteArray(big)).build());
        assertError(response, 413, "request_too_large");
    }

    @Test
    void tenMegabyteChunkedBodyWithoutContentLength_is413() throws Exception {
        byte[] big = new byte[10 * 1024 * 1024];
        java.util.Arrays.fill(big, (byte) 'a');
        var request = gateway.request("/v1/completions", KEY)
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big))).build();
        assertThat(request.bodyPublisher().orElseThrow().contentLength()).isEqualTo(-1);  // so it goes out chunked
        long before = routerA.hits("/v1/completions") + routerB.hits("/v1/completions");
        assertError(gateway.send(request), 413, "request_too_large");
        assertThat(routerA.hits("/v1/completions") + routerB.hits("/v1/completions")).isEqualTo(before);
    }

    @Test
    void chunkedBodyUnderTheLimit_reachesTheRouterWithItsExactLengthAndOnlyTheGatewaysHeaders() throws Exception {
        String body = "{\"model\":\"tiny-moe\",\"prompt\":\"chunked-header-check\"}";
        var request = gateway.request("/v1/completions", KEY)
                .header("Content-Type", "application/json")
                .header("X-Request-Id", "client-chosen-id.1")
                .header("X-Moeserve-Key-Id", "spoofed")
                .header("X-Moeserve-Internal", "spoofed")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body.getBytes(StandardCharsets.UTF_8))))
                .build();
        var response = gateway.send(request);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("X-Request-Id")).hasValue("client-chosen-id.1");

        List<FakeRouter.Received> seen = new ArrayList<>(routerA.received());
        seen.addAll(routerB.received());
        FakeRouter.Received forwarded = seen.stream().filter(r -> r.body().contains("chunked-header-check")).findFirst().orElseThrow();
        assertThat(forwarded.body()).isEqualTo(body);
        assertThat(forwarded.header("Content-Length")).isEqualTo(Integer.toString(body.length()));
        assertThat(forwarded.header("Transfer-Encoding")).isNull();
        assertThat(forwarded.header("Authorization")).isNull();
        assertThat(forwarded.header("X-Moeserve-Internal")).isNull();
        assertThat(forwarded.header("X-Moeserve-Key-Id")).isEqualTo(ApiKeyDigests.hex(ApiKeyDigests.sha256(KEY)).substring(0, 16));
        assertThat(forwarded.header("X-Request-Id")).isEqualTo("client-chosen-id.1");
    }

    @Test
    void routerErrorJson_passesThroughUnchanged() throws Exception {
        var response = gateway.postJson("/v1/chat/completions", KEY, CHAT.replace("tiny-moe", "nope"));
        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(response.body()).isEqualTo(FakeRouter.MODEL_NOT_FOUND_BODY);
        assertThat(gateway.get("/v1/models/nope", KEY).body()).isEqualTo(FakeRouter.MODEL_NOT_FOUND_BODY);
    }

    @Test
    void requests_areSpreadOverBothReplicas() throws Exception {
        int[] servedBy = new int[2];
        for (int i = 0; i < 20; i++) {
            var response = gateway.postJson("/v1/completions", KEY, "{\"model\":\"tiny-moe\",\"prompt\":\"x\"}");
            assertThat(response.statusCode()).isEqualTo(200);
            servedBy[json(response.body()).path("served_by").asString().equals("A") ? 0 : 1]++;
        }
        assertThat(servedBy[0]).isBetween(5, 15);
        assertThat(servedBy[1]).isBetween(5, 15);
    }

    @Test
    void tokenizeAndDetokenize_areRouted() throws Exception {
        assertThat(gateway.postJson("/tokenize", KEY, "{\"model\":\"tiny-moe\",\"prompt\":\"abc\"}").body()).contains("tokens");
        assertThat(gateway.postJson("/detokenize", KEY, "{\"model\":\"tiny-moe\",\"tokens\":[1]}").body()).contains("prompt");
    }

    @Test
    void stream_chunksReachTheClientOneByOneAsTheRouterSendsThem() throws Exception {
        String body = CHAT.replace("}]}", "}],\"stream\":true,\"stream_options\":{\"include_usage\":true}}");
        var request = gateway.request("/v1/chat/completions", KEY).POST(HttpRequest.BodyPublishers.ofString(body)).build();
        long start = System.nanoTime();
        HttpResponse<InputStream> response = gateway.client().send(request, HttpResponse.BodyHandlers.ofInputStream());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
        List<Long> arrivalsMs = new ArrayList<>();
        List<String> events = new ArrayList<>();
        try (var reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            for (String line; (line = reader.readLine()) != null; ) {
                if (line.startsWith("data:")) {
                    events.add(line);
                    arrivalsMs.add((System.nanoTime() - start) / 1_000_000);
                }
            }
        }
        // router: 3 content chunks 300 ms apart, then usage and [DONE]
        assertThat(events).hasSize(5);
        assertThat(events.getLast()).isEqualTo("data: [DONE]");
        assertThat(events.get(3)).contains("\"usage\":{");  // asked for by the client: kept
        assertThat(arrivalsMs.get(1) - arrivalsMs.get(0)).isGreaterThanOrEqualTo(200);
        assertThat(arrivalsMs.get(2) - arrivalsMs.get(1)).isGreaterThanOrEqualTo(200);
        assertThat(arrivalsMs.getLast() - arrivalsMs.getFirst()).isGreaterThanOrEqualTo(500);
    }

    @Test
    void clientLeavingMidStream_closesTheRouterStreamAtOnce() throws Exception {
        for (FakeRouter r : List.of(routerA, routerB)) {
            r.streamChunks(50);
            r.streamGap(java.time.Duration.ofMillis(100));
        }
        try {
            int abortsBefore = routerA.streamAborts() + routerB.streamAborts();
            String body = CHAT.replace("}]}", "}],\"stream\":true}");
            HttpResponse<InputStream> response = gateway.client().send(
                    gateway.request("/v1/chat/completions", KEY).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            var reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8));
            assertThat(reader.readLine()).startsWith("data:");
            long left = System.nanoTime();
            reader.close();  // the client goes away after the first chunk of a 5 s stream
            while (routerA.streamAborts() + routerB.streamAborts() == abortsBefore
                    && System.nanoTime() - left < 4_000_000_000L) {
                Thread.sleep(20);
            }
            long ms = (System.nanoTime() - left) / 1_000_000;
            assertThat(routerA.streamAborts() + routerB.streamAborts()).isEqualTo(abortsBefore + 1);
            assertThat(ms).as("router noticed the departure after %d ms", ms).isLessThan(2000);
        } finally {
            for (FakeRouter r : List.of(routerA, routerB)) {
                r.streamChunks(3);
                r.streamGap(java.time.Duration.ofMillis(300));
            }
        }
    }

    @Test
    void streamWithoutIncludeUsage_isChargedButTheClientSeesNoUsageChunk() throws Exception {
        String key = "sk-stream-budget";
        storeKeyInRedis(key, "{\"name\":\"streamer\",\"tokens_per_minute\":100000}");
        String body = CHAT.replace("}]}", "}],\"stream\":true}");
        var response = gateway.postJson("/v1/chat/completions", key, body);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).doesNotContain("\"usage\":{").contains("data: [DONE]").contains("t2");
        String bucket = "moeserve:rl:" + ApiKeyDigests.hex(ApiKeyDigests.sha256(key));
        // the debit is sent when the stream ends; give it a moment
        long deadline = System.currentTimeMillis() + 3000;
        String tokens = "";
        while (System.currentTimeMillis() < deadline) {
            tokens = redis.command("HGET", bucket, "t");
            if (tokens.contains("9998")) {
                break;
            }
            Thread.sleep(50);
        }
        assertThat(tokens).contains("9998");  // 100000 - 12 used tokens (plus a sliver of refill)
    }

    @Test
    void keyOverItsRequestBudget_gets429WithRetryAfter() throws Exception {
        String key = "sk-two-per-minute";
        storeKeyInRedis(key, "{\"name\":\"slow\",\"requests_per_minute\":2}");
        assertThat(gateway.get("/v1/models", key).statusCode()).isEqualTo(200);
        var second = gateway.get("/v1/models", key);
        assertThat(second.statusCode()).isEqualTo(200);
        assertThat(second.headers().firstValue("x-ratelimit-limit-requests")).hasValue("2");
        var third = gateway.get("/v1/models", key);
        var error = assertError(third, 429, "rate_limit_error");
        assertThat(error.path("code").asString()).isEqualTo("rate_limit_exceeded");
        long retryAfter = Long.parseLong(third.headers().firstValue("Retry-After").orElseThrow());
        assertThat(retryAfter).isBetween(1L, 30L);  // one request refills in 30 s at 2/min
    }

    @Test
    void keyOverItsTokenBudget_gets429UntilRefilled() throws Exception {
        String key = "sk-ten-tokens";
        storeKeyInRedis(key, "{\"name\":\"tiny\",\"tokens_per_minute\":10}");
        var first = gateway.postJson("/v1/completions", key, "{\"model\":\"tiny-moe\",\"prompt\":\"x\"}");
        assertThat(first.statusCode()).isEqualTo(200);  // admitted with budget left; used 12 tokens
        HttpResponse<String> next = null;
        long deadline = System.currentTimeMillis() + 3000;
        while (System.currentTimeMillis() < deadline) {
            next = gateway.postJson("/v1/completions", key, "{\"model\":\"tiny-moe\",\"prompt\":\"x\"}");
            if (next.statusCode() == 429) {
                break;
            }
            Thread.sleep(50);
        }
        var error = assertError(next, 429, "rate_limit_error");
        assertThat(error.path("message").asString()).contains("tokens per minute");
        assertThat(Long.parseLong(next.headers().firstValue("Retry-After").orElseThrow())).isBetween(1L, 60L);
    }

    @Test
    void health_isOpenAndOkWhileARouterIsUp() throws Exception {
        var response = gateway.get("/health", null);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(json(response.body()).path("status").asString()).isEqualTo("ok");
        assertThat(json(response.body()).path("routers").path(routerA.baseUrl()).asString()).isEqualTo("up");
    }

    @Test
    void metrics_arePrometheusTextWithRequestsAndBreakers() throws Exception {
        gateway.get("/v1/models", KEY);
        gateway.get("/v1/models", null);
        var response = gateway.get("/metrics", null);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body())
                .contains("moeserve_gateway_requests_total{")
                .containsPattern("moeserve_gateway_requests_total\\{[^}]*route=\"models\"[^}]*status=\"401\"")
                .contains("moeserve_gateway_router_breaker_state{")
                .contains("moeserve_gateway_upstream_attempts_total{");
    }
}
