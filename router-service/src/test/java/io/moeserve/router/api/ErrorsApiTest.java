package io.moeserve.router.api;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import io.moeserve.router.model.ModelRuntime;
import tools.jackson.databind.JsonNode;

import java.io.ByteArrayInputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/** Bad requests get the right status and OpenAI's error JSON naming the parameter; nothing leaks a stack trace. */
class ErrorsApiTest extends ApiTestSupport {
    @Autowired
    ModelRuntime model;

    static final String MSG = "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";
    static final String CHAT = "/v1/chat/completions", COMPLETIONS = "/v1/completions";

    static Stream<Arguments> badRequests() {
        return Stream.of(
                arguments(COMPLETIONS, "{\"model\":", 400, null),
                arguments(COMPLETIONS, "[1,2]", 400, null),
                arguments(COMPLETIONS, "{\"model\":\"tiny-moe\",\"prompt\":\"a\"} trailing", 400, null),
                arguments(COMPLETIONS, "{\"model\":\"tiny-moe\",\"model\":\"x\",\"prompt\":\"a\"}", 400, null),
                arguments(COMPLETIONS, "{\"prompt\":\"hi\"}", 400, "model"),
                arguments(COMPLETIONS, "{\"model\":7,\"prompt\":\"hi\"}", 400, "model"),
                arguments(COMPLETIONS, "{\"model\":\"nope\",\"prompt\":\"hi\"}", 404, "model"),
                arguments(COMPLETIONS, "{\"model\":\"tiny-moe\"}", 400, "prompt"),
                arguments(COMPLETIONS, "{\"model\":\"tiny-moe\",\"prompt\":\"\"}", 400, "prompt"),
                arguments(COMPLETIONS, "{\"model\":\"tiny-moe\",\"prompt\":[]}", 400, "prompt"),
                arguments(COMPLETIONS, "{\"model\":\"tiny-moe\",\"prompt\":{\"a\":1}}", 400, "prompt"),
                arguments(COMPLETIONS, "{\"model\":\"tiny-moe\",\"prompt\":[1,99999]}", 400, "prompt[1]"),
                arguments(COMPLETIONS, "{\"model\":\"tiny-moe\",\"prompt\":[-1]}", 400, "prompt[0]"),
                arguments(COMPLETIONS, "{\"model\":\"tiny-moe\",\"prompt\":\"hi\",\"max_tokens\":\"ten\"}", 400, "max_tokens"),
                arguments(COMPLETIONS, "{\"model\":\"tiny-moe\",\"prompt\":\"hi\",\"max_tokens\":-5}", 400, "max_tokens"),
                arguments(COMPLETIONS, "{\"model\":\"tiny-moe\",\"prompt\":\"hi\",\"max_tokens\":0}", 400, "max_tokens"),
                arguments(COMPLETIONS, "{\"model\":\"tiny-moe\",\"prompt\":\"hi\",\"max_tokens\":2.5}", 400, "max_tokens"),
                arguments(COMPLETIONS, "{\"model\":\"tiny-moe\",\"prompt\":\"hi\",\"max_tokens\":1e30}", 400, "max_tokens"),
                arguments(COMPLETIONS, "{\"model\":\"tiny-moe\",\"prompt\":\"hi\",\"max_tokens\":99999999999999999999999}", 400, "max_tokens"),
                arguments(COMPLETIONS, "{\"model\":\"tiny-moe\",\"prompt\":\"hi\",\"max_tokens\":5000}", 400, "prompt"),
                arguments(COMPLETIONS, "{\"model\":\"tiny-moe\",\"prompt\":\"hi\",\"temperature\":2.5}", 400, "temperature"),
                arguments(COMPLETIONS, "{\"model\":\"tiny-moe\",\"prompt\":\"hi\",\"temperature\":-0.1}", 400, "temperature"),
                arguments(COMPLETIONS, "{\"model\":\"tiny-moe\",\"prompt\":\"hi\",\"temperature\":\"hot\"}", 400, "temperature"),
                arguments(COMPLETIONS, "{\"model\":\"tiny-moe\",\"prompt\":\"hi\",\"top_p\":1.5}", 400, "top_p"),
                arguments(COMPLETIONS, "{\"model\":\"tiny-moe\",\"prompt\":\"hi\",\"top_p\":0}", 400, "top_p"),
                arguments(COMPLETIONS, "{\"model\":\"tiny-moe\",\"prompt\":\"hi\",\"top_k\":-2}", 400, "top_k"),
                arguments(COMPLETIONS, "{\"model\":\"tiny-moe\",\"prompt\":\"hi\",\"seed\":\"abc\"}", 400, "seed"),
                arguments(COMPLETIONS, "{\"model\":\"tiny-moe\",\"prompt\":\"hi\",\"stop\":[\"a\",\"b\",\"c\",\"d\",\"e\"]}", 400, "stop"),
                arguments(COMPLETIONS, "{\"model\":\"tiny-moe\",\"prompt\":\"hi\",\"stop\":[1]}", 400, "stop[0]"),
                arguments(COMPLETIONS, "{\"model\":\"tiny-moe\",\"prompt\":\"hi\",\"stop\":\"\"}", 400, "stop"),
                arguments(COMPLETIONS, "{\"model\":\"tiny-moe\",\"prompt\":\"hi\",\"logprobs\":6}", 400, "logprobs"),
                arguments(COMPLETIONS, "{\"model\":\"tiny-moe\",\"prompt\":\"hi\",\"logprobs\":true}", 400, "logprobs"),
                arguments(COMPLETIONS, "{\"model\":\"tiny-moe\",\"prompt\":\"hi\",\"echo\":\"yes\"}", 400, "echo"),
                arguments(COMPLETIONS, "{\"model\":\"tiny-moe\",\"prompt\":\"hi\",\"n\":0}", 400, "n"),
                arguments(COMPLETIONS, "{\"model\":\"tiny-moe\",\"prompt\":\"hi\",\"n\":17}", 400, "n"),
                arguments(COMPLETIONS, "{\"model\":\"tiny-moe\",\"prompt\":\"hi\",\"best_of\":3}", 400, "best_of"),
                arguments(COMPLETIONS, "{\"model\":\"tiny-moe\",\"prompt\":\"hi\",\"presence_penalty\":0.5}", 400, "presence_penalty"),
                arguments(COMPLETIONS, "{\"model\":\"tiny-moe\",\"prompt\":\"hi\",\"frequency_penalty\":3}", 400, "frequency_penalty"),
                arguments(COMPLETIONS, "{\"model\":\"tiny-moe\",\"prompt\":\"hi\",\"logit_bias\":{\"5\":10}}", 400, "logit_bias"),
                arguments(COMPLETIONS, "{\"model\":\"tiny-moe\",\"prompt\":\"hi\",\"suffix\":\"end\"}", 400, "suffix"),
                arguments(COMPLETIONS, "{\"model\":\"tiny-moe\",\"prompt\":\"hi\",\"stream\":\"true\"}", 400, "stream"),
                arguments(COMPLETIONS, "{\"model\":\"tiny-moe\",\"prompt\":\"hi\",\"stream_options\":{\"include_usage\":true}}", 400, "stream_options"),
                arguments(COMPLETIONS, "{\"model\":\"tiny-moe\",\"prompt\":\"hi\",\"stream\":true,\"stream_options\":{\"include_usage\":1}}", 400, "stream_options.include_usage"),
                arguments(CHAT, "{\"model\":\"tiny-moe\"}", 400, "messages"),
                arguments(CHAT, "{\"model\":\"tiny-moe\",\"messages\":\"hi\"}", 400, "messages"),
                arguments(CHAT, "{\"model\":\"tiny-moe\",\"messages\":[]}", 400, "messages"),
                arguments(CHAT, "{\"model\":\"tiny-moe\",\"messages\":[\"hi\"]}", 400, "messages[0]"),
                arguments(CHAT, "{\"model\":\"tiny-moe\",\"messages\":[{\"content\":\"hi\"}]}", 400, "messages[0].role"),
                arguments(CHAT, "{\"model\":\"tiny-moe\",\"messages\":[{\"role\":\"wizard\",\"content\":\"hi\"}]}", 400, "messages[0].role"),
                arguments(CHAT, "{\"model\":\"tiny-moe\",\"messages\":[{\"role\":\"tool\",\"content\":\"hi\"}]}", 400, "messages[0].role"),
                arguments(CHAT, "{\"model\":\"tiny-moe\",\"messages\":[{\"role\":\"user\"}]}", 400, "messages[0].content"),
                arguments(CHAT, "{\"model\":\"tiny-moe\",\"messages\":[{\"role\":\"user\",\"content\":5}]}", 400, "messages[0].content"),
                arguments(CHAT, "{\"model\":\"tiny-moe\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"http://x\"}}]}]}", 400, "messages[0].content[0].type"),
                arguments(CHAT, "{\"model\":\"tiny-moe\"," + MSG + ",\"max_completion_tokens\":-1}", 400, "max_completion_tokens"),
                arguments(CHAT, "{\"model\":\"tiny-moe\"," + MSG + ",\"max_tokens\":4,\"max_completion_tokens\":5}", 400, "max_tokens"),
                arguments(CHAT, "{\"model\":\"tiny-moe\"," + MSG + ",\"max_tokens\":2000}", 400, "messages"),
                arguments(CHAT, "{\"model\":\"tiny-moe\"," + MSG + ",\"top_logprobs\":3}", 400, "top_logprobs"),
                arguments(CHAT, "{\"model\":\"tiny-moe\"," + MSG + ",\"logprobs\":true,\"top_logprobs\":21}", 400, "top_logprobs"),
                arguments(CHAT, "{\"model\":\"tiny-moe\"," + MSG + ",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}]}", 400, "tools"),
                arguments(CHAT, "{\"model\":\"tiny-moe\"," + MSG + ",\"tool_choice\":\"auto\"}", 400, "tool_choice"),
                arguments(CHAT, "{\"model\":\"tiny-moe\"," + MSG + ",\"response_format\":{\"type\":\"json_object\"}}", 400, "response_format.type"),
                arguments(CHAT, "{\"model\":\"tiny-moe\"," + MSG + ",\"response_format\":\"json\"}", 400, "response_format"),
                arguments("/tokenize", "{\"model\":\"tiny-moe\"}", 400, "prompt"),
                arguments("/tokenize", "{\"model\":\"nope\",\"prompt\":\"x\"}", 404, "model"),
                arguments("/detokenize", "{\"model\":\"tiny-moe\",\"tokens\":\"abc\"}", 400, "tokens"),
                arguments("/detokenize", "{\"model\":\"tiny-moe\",\"tokens\":[4096]}", 400, "tokens[0]"));
    }

    @ParameterizedTest(name = "{0} {1} -> {2}")
    @MethodSource("badRequests")
    void badRequest_getsStatusAndOpenAiError(String path, String body, int status, String param) throws Exception {
        assertError(post(path, body), status, param);
    }

    @Test
    void invalidUtf8_isRejectedNotReplaced() throws Exception {
        byte[] head = "{\"model\":\"tiny-moe\",\"prompt\":\"".getBytes(StandardCharsets.UTF_8);
        byte[] body = Arrays.copyOf(head, head.length + 4);
        body[head.length] = (byte) 0xC3;  // a lead byte without its continuation
        body[head.length + 1] = (byte) 0x28;
        body[head.length + 2] = '"';
        body[head.length + 3] = '}';
        JsonNode e = assertError(post(COMPLETIONS, body), 400, null);
        assertThat(e.get("code").asString()).isEqualTo("invalid_json");
        assertThat(e.get("message").asString()).contains("UTF-8");
    }

    @Test
    void promptOverTheContext_saysHowLongLikeVllm() throws Exception {
        String longPrompt = "the king ".repeat(1500);
        JsonNode e = assertError(post(COMPLETIONS, "{\"model\":\"tiny-moe\",\"prompt\":\"" + longPrompt + "\"}"), 400, "prompt");
        assertThat(e.get("code").asString()).isEqualTo("context_length_exceeded");
        assertThat(e.get("message").asString()).startsWith("This model's maximum context length is 1024 tokens.");
        int p = model.tokenizer().encode("the king").length;
        JsonNode e2 = assertError(post(COMPLETIONS, "{\"model\":\"tiny-moe\",\"prompt\":\"the king\",\"max_tokens\":"
                + (1025 - p) + "}"), 400, "prompt");
        assertThat(e2.get("message").asString()).contains("you requested 1025 tokens (" + p + " in the messages, "
                + (1025 - p) + " in the completion)");
    }

    @Test
    void bodyOverTheLimit_is413_evenWhenChunked() throws Exception {
        byte[] big = new byte[3 * 1024 * 1024];
        Arrays.fill(big, (byte) ' ');
        assertError(post(COMPLETIONS, big), 413, null);
        HttpRequest chunked = HttpRequest.newBuilder(uri(COMPLETIONS)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big))).build();
        HttpResponse<String> r = HTTP.send(chunked, HttpResponse.BodyHandlers.ofString());
        assertError(new Reply(r.statusCode(), r.headers(), r.body()), 413, null);
    }

    @Test
    void unknownPathAndMethod_areOpenAiErrors() throws Exception {
        assertError(get("/v1/nothing-here"), 404, null);
        assertError(get("/v1/models/gpt-4"), 404, "model");
        assertError(get(COMPLETIONS), 405, null);
    }

    @Test
    void containerErrorPage_isAnOpenAiErrorWithoutInternals() throws Exception {
        JsonNode e = assertError(get("/error"), 500, null);
        assertThat(e.get("message").asString()).doesNotContain("Whitelabel").doesNotContain("trace");
    }

    @Test
    void afterBadRequests_aNormalRequestIsServed() throws Exception {
        assertError(post(COMPLETIONS, "{\"model\":"), 400, null);
        Reply ok = post(COMPLETIONS, "{\"model\":\"tiny-moe\",\"prompt\":\"hi\",\"max_tokens\":2}");
        assertThat(ok.status()).isEqualTo(200);
    }
}
