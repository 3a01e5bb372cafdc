package io.moeserve.contract;

import io.moeserve.contract.support.Http;
import io.moeserve.contract.support.Http.Reply;
import io.moeserve.contract.support.Stack;
import io.moeserve.contract.support.StackExtension;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.stream.Stream;

import static io.moeserve.contract.support.Http.assertOpenAiError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/**
 * Malformed and hostile requests through the gateway, with raw HTTP: each gets the right status and
 * OpenAI's error JSON; afterwards the stack still serves a normal request.
 */
@ExtendWith(StackExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BadInputIT {
    static final String CHAT = "/v1/chat/completions", COMPLETIONS = "/v1/completions";
    static final String MSG = "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";
    static Stack stack;

    @BeforeAll
    static void stack(Stack s) {
        stack = s;
    }

    static String c(String fields) {
        return "{\"model\":\"tiny-moe\",\"prompt\":\"hi\"," + fields + "}";
    }

    static String ch(String fields) {
        return "{\"model\":\"tiny-moe\"," + MSG + "," + fields + "}";
    }

    static Stream<Arguments> invalidRequests() {
        return Stream.of(
                arguments("truncated JSON", COMPLETIONS, "{\"model\":", 400, null),
                arguments("JSON array body", COMPLETIONS, "[1,2,3]", 400, null),
                arguments("unescaped control character", COMPLETIONS, "{\"model\":\"tiny-moe\",\"prompt\":\"a\u0001b\"}", 400, null),
                arguments("1000-digit number", COMPLETIONS, c("\"max_tokens\":" + "9".repeat(1000)), 400, null),
                arguments("missing model", COMPLETIONS, "{\"prompt\":\"hi\"}", 400, "model"),
                arguments("model not a string", CHAT, "{\"model\":42," + MSG + "}", 400, "model"),
                arguments("unknown model", CHAT, "{\"model\":\"gpt-4o\"," + MSG + "}", 404, "model"),
                arguments("max_tokens a string", COMPLETIONS, c("\"max_tokens\":\"ten\""), 400, "max_tokens"),
                arguments("max_tokens negative", COMPLETIONS, c("\"max_tokens\":-1"), 400, "max_tokens"),
                arguments("max_tokens zero", CHAT, ch("\"max_tokens\":0"), 400, "max_tokens"),
                arguments("max_tokens fractional", COMPLETIONS, c("\"max_tokens\":1.5"), 400, "max_tokens"),
                arguments("max_tokens huge", COMPLETIONS, c("\"max_tokens\":1000000000000"), 400, "prompt"),
                arguments("max_completion_tokens huge", CHAT, ch("\"max_completion_tokens\":2147483648"), 400, "messages"),
                arguments("temperature above 2", CHAT, ch("\"temperature\":2.5"), 400, "temperature"),
                arguments("temperature negative", COMPLETIONS, c("\"temperature\":-0.5"), 400, "temperature"),
                arguments("temperature a string", CHAT, ch("\"temperature\":\"hot\""), 400, "temperature"),
                arguments("top_p above 1", CHAT, ch("\"top_p\":1.1"), 400, "top_p"),
                arguments("messages not an array", CHAT, "{\"model\":\"tiny-moe\",\"messages\":\"hi\"}", 400, "messages"),
                arguments("messages empty", CHAT, "{\"model\":\"tiny-moe\",\"messages\":[]}", 400, "messages"),
                arguments("message without role", CHAT, "{\"model\":\"tiny-moe\",\"messages\":[{\"content\":\"hi\"}]}", 400, "messages[0].role"),
                arguments("unknown role", CHAT, "{\"model\":\"tiny-moe\",\"messages\":[{\"role\":\"root\",\"content\":\"hi\"}]}", 400, "messages[0].role"),
                arguments("content a number", CHAT, "{\"model\":\"tiny-moe\",\"messages\":[{\"role\":\"user\",\"content\":1}]}", 400, "messages[0].content"),
                arguments("image content part", CHAT, "{\"model\":\"tiny-moe\",\"messages\":[{\"role\":\"user\",\"content\":"
                        + "[{\"type\":\"image_url\",\"image_url\":{\"url\":\"http://127.0.0.1/x.png\"}}]}]}", 400, "messages[0].content[0].type"),
                arguments("five stop sequences", COMPLETIONS, c("\"stop\":[\"a\",\"b\",\"c\",\"d\",\"e\"]"), 400, "stop"),
                arguments("n zero", CHAT, ch("\"n\":0"), 400, "n"),
                arguments("logprobs above 5", COMPLETIONS, c("\"logprobs\":10"), 400, "logprobs"),
                arguments("top_logprobs without logprobs", CHAT, ch("\"top_logprobs\":2"), 400, "top_logprobs"),
                arguments("tools", CHAT, ch("\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}]"), 400, "tools"),
                arguments("json response_format", CHAT, ch("\"response_format\":{\"type\":\"json_object\"}"), 400, "response_format.type"),
                arguments("presence_penalty", CHAT, ch("\"presence_penalty\":1.0"), 400, "presence_penalty"),
                arguments("stream a string", CHAT, ch("\"stream\":\"yes\""), 400, "stream"),
                arguments("stream_options without stream", CHAT, ch("\"stream_options\":{\"include_usage\":true}"), 400, "stream_options"),
                arguments("empty prompt", COMPLETIONS, "{\"model\":\"tiny-moe\",\"prompt\":\"\"}", 400, "prompt"),
                arguments("token id outside the vocabulary", COMPLETIONS, "{\"model\":\"tiny-moe\",\"prompt\":[1,2,4096]}", 400, "prompt[2]"),
                arguments("deeply nested JSON", COMPLETIONS, "{\"model\":\"tiny-moe\",\"prompt\":" + "[".repeat(5000) + "]".repeat(5000) + "}", 400, null));
    }

    @Order(1)
    @ParameterizedTest(name = "{0} -> {3}")
    @MethodSource("invalidRequests")
    void invalidRequest_getsStatusAndOpenAiError(String name, String path, String body, int status, String param) throws Exception {
        assertOpenAiError(Http.post(stack.gatewayUrl() + path, stack.apiKey, body), status, param);
    }

    @Order(2)
    @Test
    void invalidUtf8_is400() throws Exception {
        byte[] head = "{\"model\":\"tiny-moe\",\"prompt\":\"".getBytes(StandardCharsets.UTF_8);
        byte[] body = Arrays.copyOf(head, head.length + 4);
        body[head.length] = (byte) 0xFF;
        body[head.length + 1] = (byte) 0xFE;
        body[head.length + 2] = '"';
        body[head.length + 3] = '}';
        assertOpenAiError(Http.post(stack.gatewayUrl() + COMPLETIONS, stack.apiKey, HttpRequest.BodyPublishers.ofByteArray(body)), 400, null);
    }

    @Order(2)
    @Test
    void promptOverTheContext_is400WithTheLimit() throws Exception {
        String prompt = "the king said unto them ".repeat(400);
        JsonNode e = assertOpenAiError(Http.post(stack.gatewayUrl() + COMPLETIONS, stack.apiKey,
                "{\"model\":\"tiny-moe\",\"prompt\":\"" + prompt + "\"}"), 400, "prompt");
        assertThat(e.get("code").asString()).isEqualTo("context_length_exceeded");
        assertThat(e.get("message").asString()).contains("maximum context length is 1024 tokens");
    }

    @Order(2)
    @Test
    void tenMegabyteBody_is413_withContentLengthAndChunked() throws Exception {
        byte[] big = new byte[10 * 1024 * 1024];
        Arrays.fill(big, (byte) 'a');
        byte[] head = "{\"model\":\"tiny-moe\",\"prompt\":\"".getBytes(StandardCharsets.UTF_8);
        System.arraycopy(head, 0, big, 0, head.length);
        assertOpenAiError(Http.post(stack.gatewayUrl() + COMPLETIONS, stack.apiKey, HttpRequest.BodyPublishers.ofByteArray(big)), 413, null);
        // no Content-Length: a size check on the header alone would let this through
        assertOpenAiError(Http.post(stack.gatewayUrl() + COMPLETIONS, stack.apiKey,
                HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big))), 413, null);
    }

    @Order(2)
    @Test
    void missingWrongOrMalformedKey_is401() throws Exception {
        String body = ch("\"max_tokens\":1");
        assertOpenAiError(Http.post(stack.gatewayUrl() + CHAT, null, body), 401, null);
        assertOpenAiError(Http.post(stack.gatewayUrl() + CHAT, stack.apiKey + "x", body), 401, null);
        assertOpenAiError(Http.send(HttpRequest.newBuilder(URI.create(stack.gatewayUrl() + CHAT))
                .header("Authorization", "Basic " + stack.apiKey).POST(HttpRequest.BodyPublishers.ofString(body))), 401, null);
        assertOpenAiError(Http.get(stack.gatewayUrl() + "/v1/models", "not-a-key"), 401, null);
    }

    @Order(2)
    @Test
    void unknownPathsAndInternalRoutes_areNotReachable() throws Exception {
        assertOpenAiError(Http.get(stack.gatewayUrl() + "/v1/no-such-endpoint", stack.apiKey), 404, null);
        assertOpenAiError(Http.get(stack.gatewayUrl() + "/actuator/env", stack.apiKey), 404, null);
        assertOpenAiError(Http.get(stack.gatewayUrl() + "/v1/models/gpt-4o", stack.apiKey), 404, "model");
    }

    @Order(2)
    @Test
    void unknownTopLevelFields_areIgnoredLikeOpenAi() throws Exception {
        Reply r = Http.post(stack.gatewayUrl() + COMPLETIONS, stack.apiKey,
                c("\"max_tokens\":2,\"not_an_openai_field\":{\"nested\":[1,2]},\"metadata\":{\"k\":\"v\"},\"store\":false"));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.json().at("/choices/0/text").isString()).isTrue();
    }

    @Order(3)
    @Test
    void keyOverItsLimit_is429WithRetryAfter() throws Exception {
        String body = ch("\"max_tokens\":1");
        Reply last = null;
        for (int i = 0; i <= Stack.LIMITED_RPM; i++) {
            last = Http.post(stack.gatewayUrl() + CHAT, stack.limitedKey, body);
            if (i < Stack.LIMITED_RPM) assertThat(last.status()).as("request %d within the limit: %s", i + 1, last.body()).isEqualTo(200);
        }
        JsonNode e = assertOpenAiError(last, 429, null);
        assertThat(e.get("code").asString()).isEqualTo("rate_limit_exceeded");
        assertThat(last.headers().firstValue("retry-after")).hasValueSatisfying(v -> assertThat(Long.parseLong(v)).isPositive());
        // the other key is not affected
        assertThat(Http.post(stack.gatewayUrl() + CHAT, stack.apiKey, body).status()).isEqualTo(200);
    }

    @Order(100)
    @Test
    void afterAllOfIt_aNormalRequestIsServed() throws Exception {
        Reply r = Http.post(stack.gatewayUrl() + CHAT, stack.apiKey, ch("\"max_tokens\":8,\"temperature\":0"));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.json().at("/choices/0/message/content").asString()).isNotEmpty();
        assertThat(Http.get(stack.gatewayUrl() + "/health", null).status()).isEqualTo(200);
    }
}
