package io.moeserve.router.api;

import io.moeserve.core.generate.Generator;
import io.moeserve.core.sampling.SamplingParams;
import io.moeserve.core.tokenizer.ChatTemplate;
import io.moeserve.router.model.ModelRuntime;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import tools.jackson.databind.JsonNode;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** /v1/chat/completions over real HTTP against the tiny model. */
class ChatCompletionsApiTest extends ApiTestSupport {
    static final String MESSAGES = """
            [{"role":"system","content":"You are terse."},{"role":"user","content":"Tell me about the king."}]""";

    @Autowired
    ModelRuntime model;

    JsonNode chat(String body) throws Exception {
        Reply r = post("/v1/chat/completions", body);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json();
    }

    @Test
    void greedyChat_equalsGeneratorOnTheTemplatedPrompt() throws Exception {
        JsonNode c = chat("""
                {"model":"tiny-moe","messages":%s,"max_tokens":20,"temperature":0}""".formatted(MESSAGES));
        String prompt = model.chatTemplate().render(List.of(new ChatTemplate.Message("system", "You are terse."),
                new ChatTemplate.Message("user", "Tell me about the king.")), true);
        Generator.Result expected = new Generator(model.engine(), model.tokenizer())
                .generate(model.tokenizer().encode(prompt), SamplingParams.greedy(20), t -> { });
        assertThat(c.at("/choices/0/message/content").asString()).isEqualTo(expected.text());
        assertThat(c.at("/usage/prompt_tokens").asInt()).isEqualTo(expected.promptTokens());
        assertThat(c.at("/usage/completion_tokens").asInt()).isEqualTo(expected.tokens().length);
    }

    @Test
    void response_hasOpenAiShape() throws Exception {
        JsonNode c = chat("""
                {"model":"tiny-moe","messages":%s,"max_completion_tokens":5,"temperature":0,"ignore_eos":true}""".formatted(MESSAGES));
        assertThat(c.get("id").asString()).startsWith("chatcmpl-");
        assertThat(c.get("object").asString()).isEqualTo("chat.completion");
        assertThat(c.get("model").asString()).isEqualTo("tiny-moe");
        JsonNode choice = c.get("choices").get(0);
        assertThat(choice.get("index").asInt()).isZero();
        assertThat(choice.at("/message/role").asString()).isEqualTo("assistant");
        assertThat(choice.at("/message/content").isString()).isTrue();
        assertThat(choice.get("message").has("refusal")).isTrue();
        assertThat(choice.get("logprobs").isNull()).isTrue();
        assertThat(choice.get("finish_reason").asString()).isEqualTo("length");
        assertThat(c.at("/usage/completion_tokens").asInt()).isEqualTo(5);
        assertThat(c.at("/usage/total_tokens").asInt()).isEqualTo(c.at("/usage/prompt_tokens").asInt() + 5);
        assertThat(c.at("/usage/prompt_tokens_details/cached_tokens").isInt()).isTrue();
    }

    @Test
    void contentParts_areTheSameAsAString() throws Exception {
        String parts = chat("""
                {"model":"tiny-moe","max_tokens":8,"temperature":0,
                 "messages":[{"role":"user","content":[{"type":"text","text":"Tell me about the king."}]}]}""")
                .at("/choices/0/message/content").asString();
        String plain = chat("""
                {"model":"tiny-moe","max_tokens":8,"temperature":0,
                 "messages":[{"role":"user","content":"Tell me about the king."}]}""")
                .at("/choices/0/message/content").asString();
        assertThat(parts).isEqualTo(plain);
    }

    @Test
    void logprobs_withTopLogprobs_haveChatShape() throws Exception {
        JsonNode c = chat("""
                {"model":"tiny-moe","messages":%s,"max_tokens":4,"temperature":0,"logprobs":true,"top_logprobs":3,
                 "ignore_eos":true}""".formatted(MESSAGES));
        JsonNode content = c.at("/choices/0/logprobs/content");
        assertThat(content.size()).isEqualTo(4);
        StringBuilder text = new StringBuilder();
        for (JsonNode t : content) {
            assertThat(t.get("logprob").asDouble()).isLessThanOrEqualTo(0);
            assertThat(t.get("bytes").isArray()).isTrue();
            assertThat(t.get("top_logprobs").size()).isEqualTo(3);
            assertThat(t.at("/top_logprobs/0/token").asString()).isEqualTo(t.get("token").asString()); // greedy
            text.append(t.get("token").asString());
        }
        assertThat(text.toString()).isEqualTo(c.at("/choices/0/message/content").asString());
    }

    @Test
    void logprobsWithoutTop_listOnlyChosenTokens() throws Exception {
        JsonNode c = chat("""
                {"model":"tiny-moe","messages":%s,"max_tokens":3,"temperature":0,"logprobs":true,"ignore_eos":true}"""
                .formatted(MESSAGES));
        JsonNode content = c.at("/choices/0/logprobs/content");
        assertThat(content.size()).isEqualTo(3);
        assertThat(content.get(0).get("top_logprobs").isEmpty()).isTrue();
    }

    @Test
    void developerRoleAndN_areServed() throws Exception {
        JsonNode c = chat("""
                {"model":"tiny-moe","max_tokens":6,"temperature":0.9,"seed":3,"n":2,
                 "messages":[{"role":"developer","content":"Be brief."},{"role":"user","content":"Hello"},
                             {"role":"assistant","content":"Hi."},{"role":"user","content":"More"}]}""");
        assertThat(c.get("choices").size()).isEqualTo(2);
        assertThat(c.at("/choices/1/index").asInt()).isEqualTo(1);
    }

    @Test
    void responseFormatText_andEmptyTools_areAccepted() throws Exception {
        JsonNode c = chat("""
                {"model":"tiny-moe","messages":%s,"max_tokens":2,"response_format":{"type":"text"},"tools":[],
                 "tool_choice":"none","parallel_tool_calls":null,"store":false}""".formatted(MESSAGES));
        assertThat(c.at("/choices/0/message/role").asString()).isEqualTo("assistant");
    }
}
