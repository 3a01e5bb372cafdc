package io.moeserve.router.api;

import io.moeserve.core.generate.Generator;
import io.moeserve.core.sampling.SamplingParams;
import io.moeserve.router.model.ModelRuntime;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import tools.jackson.databind.JsonNode;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** /v1/completions over real HTTP against the tiny model. */
class CompletionsApiTest extends ApiTestSupport {
    static final String PROMPT = "Once upon a time";

    @Autowired
    ModelRuntime model;

    Generator.Result alone(String prompt, int maxTokens, List<String> stop) {
        SamplingParams p = new SamplingParams(0f, 1f, 0, null, maxTokens, stop, false);
        return new Generator(model.engine(), model.tokenizer()).generate(model.tokenizer().encode(prompt), p, t -> { });
    }

    JsonNode complete(String body) throws Exception {
        Reply r = post("/v1/completions", body);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json();
    }

    @Test
    void greedyCompletion_equalsMonolithicGenerator() throws Exception {
        JsonNode c = complete("""
                {"model":"tiny-moe","prompt":"%s","max_tokens":24,"temperature":0}""".formatted(PROMPT));
        Generator.Result expected = alone(PROMPT, 24, List.of());
        JsonNode choice = c.get("choices").get(0);
        assertThat(choice.get("text").asString()).isEqualTo(expected.text());
        assertThat(choice.get("finish_reason").asString()).isEqualTo(expected.finishReason().apiName());
        assertThat(c.at("/usage/prompt_tokens").asInt()).isEqualTo(expected.promptTokens());
        assertThat(c.at("/usage/completion_tokens").asInt()).isEqualTo(expected.tokens().length);
    }

    @Test
    void response_hasOpenAiShape() throws Exception {
        long before = System.currentTimeMillis() / 1000;
        JsonNode c = complete("""
                {"model":"tiny-moe","prompt":"The king","max_tokens":5,"temperature":0,"ignore_eos":true}""");
        assertThat(c.get("id").asString()).startsWith("cmpl-");
        assertThat(c.get("object").asString()).isEqualTo("text_completion");
        assertThat(c.get("created").asLong()).isBetween(before - 1, before + 120);
        assertThat(c.get("model").asString()).isEqualTo("tiny-moe");
        JsonNode choice = c.get("choices").get(0);
        assertThat(choice.get("index").asInt()).isZero();
        assertThat(choice.has("logprobs") && choice.get("logprobs").isNull()).isTrue();
        assertThat(choice.get("finish_reason").asString()).isEqualTo("length");
        JsonNode u = c.get("usage");
        assertThat(u.get("completion_tokens").asInt()).isEqualTo(5);
        assertThat(u.get("total_tokens").asInt()).isEqualTo(u.get("prompt_tokens").asInt() + 5);
        assertThat(u.at("/prompt_tokens_details/cached_tokens").isInt()).isTrue();
    }

    @Test
    void maxTokensAbsent_defaultsToOpenAis16() throws Exception {
        JsonNode c = complete("""
                {"model":"tiny-moe","prompt":"The king","temperature":0,"ignore_eos":true}""");
        assertThat(c.at("/usage/completion_tokens").asInt()).isEqualTo(16);
    }

    @Test
    void tokenIdPrompt_givesSameTextAsStringPrompt() throws Exception {
        int[] ids = model.tokenizer().encode(PROMPT);
        JsonNode byIds = complete("""
                {"model":"tiny-moe","prompt":%s,"max_tokens":10,"temperature":0}""".formatted(java.util.Arrays.toString(ids)));
        JsonNode byText = complete("""
                {"model":"tiny-moe","prompt":"%s","max_tokens":10,"temperature":0}""".formatted(PROMPT));
        assertThat(byIds.at("/choices/0/text").asString()).isEqualTo(byText.at("/choices/0/text").asString());
    }

    @Test
    void batchPrompts_giveOneChoicePerPromptInOrder() throws Exception {
        JsonNode c = complete("""
                {"model":"tiny-moe","prompt":["The king","Once upon a time"],"max_tokens":8,"temperature":0}""");
        JsonNode choices = c.get("choices");
        assertThat(choices.size()).isEqualTo(2);
        assertThat(choices.get(0).get("index").asInt()).isZero();
        assertThat(choices.get(1).get("index").asInt()).isEqualTo(1);
        assertThat(choices.get(0).get("text").asString()).isEqualTo(alone("The king", 8, List.of()).text());
        assertThat(choices.get(1).get("text").asString()).isEqualTo(alone("Once upon a time", 8, List.of()).text());
        int prompts = model.tokenizer().encode("The king").length + model.tokenizer().encode("Once upon a time").length;
        assertThat(c.at("/usage/prompt_tokens").asInt()).isEqualTo(prompts);
    }

    @Test
    void sameSeed_sameText_andSeedsMatter() throws Exception {
        String body = """
                {"model":"tiny-moe","prompt":"The king","max_tokens":12,"temperature":1.0,"seed":%d}""";
        String first = complete(body.formatted(42)).at("/choices/0/text").asString();
        assertThat(complete(body.formatted(42)).at("/choices/0/text").asString()).isEqualTo(first);
        Set<String> texts = new HashSet<>();
        for (int seed = 1; seed <= 4; seed++) texts.add(complete(body.formatted(seed)).at("/choices/0/text").asString());
        assertThat(texts).hasSizeGreaterThan(1);
    }

    @Test
    void nWithSeed_givesDistinctRepeatableChoices() throws Exception {
        String body = """
                {"model":"tiny-moe","prompt":"The king","max_tokens":12,"temperature":1.0,"seed":7,"n":3}""";
        JsonNode a = complete(body), b = complete(body);
        assertThat(a.get("choices").size()).isEqualTo(3);
        assertThat(a.get("choices")).isEqualTo(b.get("choices"));
        Set<String> texts = new HashSet<>();
        a.get("choices").forEach(ch -> texts.add(ch.get("text").asString()));
        assertThat(texts).hasSizeGreaterThan(1);
        assertThat(a.at("/usage/prompt_tokens").asInt()).isEqualTo(model.tokenizer().encode("The king").length);
    }

    @Test
    void stopSequence_cutsTextBeforeIt() throws Exception {
        String full = alone(PROMPT, 30, List.of()).text();
        String stop = full.substring(full.length() / 2, full.length() / 2 + 3);
        JsonNode c = complete("""
                {"model":"tiny-moe","prompt":"%s","max_tokens":30,"temperature":0,"stop":[%s]}"""
                .formatted(PROMPT, JSON.writeValueAsString(stop)));
        assertThat(c.at("/choices/0/text").asString()).isEqualTo(full.substring(0, full.indexOf(stop)));
        assertThat(c.at("/choices/0/finish_reason").asString()).isEqualTo("stop");
    }

    @Test
    void logprobs_haveLegacyShape() throws Exception {
        JsonNode c = complete("""
                {"model":"tiny-moe","prompt":"%s","max_tokens":6,"temperature":0,"logprobs":3,"ignore_eos":true}""".formatted(PROMPT));
        JsonNode lp = c.at("/choices/0/logprobs");
        assertThat(lp.get("tokens").size()).isEqualTo(6);
        assertThat(lp.get("token_logprobs").size()).isEqualTo(6);
        assertThat(lp.get("top_logprobs").size()).isEqualTo(6);
        assertThat(lp.get("text_offset").size()).isEqualTo(6);
        StringBuilder joined = new StringBuilder();
        int lastOffset = -1;
        for (int i = 0; i < 6; i++) {
            String tok = lp.get("tokens").get(i).asString();
            double logprob = lp.get("token_logprobs").get(i).asDouble();
            JsonNode top = lp.get("top_logprobs").get(i);
            assertThat(logprob).isLessThanOrEqualTo(0);
            assertThat(top.size()).isBetween(3, 4);  // the chosen token is always there, maybe as a 4th
            assertThat(top.has(tok)).isTrue();
            // greedy: the chosen token is the most likely one
            top.properties().forEach(en -> assertThat(en.getValue().asDouble()).isLessThanOrEqualTo(logprob + 1e-4));
            assertThat(lp.get("text_offset").get(i).asInt()).isGreaterThan(lastOffset);
            lastOffset = lp.get("text_offset").get(i).asInt();
            joined.append(tok);
        }
        assertThat(joined.toString()).isEqualTo(c.at("/choices/0/text").asString());
    }

    @Test
    void echoWithLogprobs_prependsPromptAndScoresIt() throws Exception {
        int promptTokens = model.tokenizer().encode(PROMPT).length;
        JsonNode c = complete("""
                {"model":"tiny-moe","prompt":"%s","max_tokens":3,"temperature":0,"logprobs":1,"echo":true,"ignore_eos":true}"""
                .formatted(PROMPT));
        assertThat(c.at("/choices/0/text").asString()).startsWith(PROMPT).hasSizeGreaterThan(PROMPT.length());
        JsonNode lp = c.at("/choices/0/logprobs");
        assertThat(lp.get("tokens").size()).isEqualTo(promptTokens + 3);
        assertThat(lp.get("token_logprobs").get(0).isNull()).isTrue();
        for (int i = 1; i < promptTokens + 3; i++) assertThat(lp.get("token_logprobs").get(i).asDouble()).isLessThanOrEqualTo(0);
        assertThat(lp.get("text_offset").get(0).asInt()).isZero();
    }

    @Test
    void unknownFieldsAndNeutralOptions_areAccepted() throws Exception {
        JsonNode c = complete("""
                {"model":"tiny-moe","prompt":"hi","max_tokens":2,"some_future_option":{"x":1},"presence_penalty":0,
                 "frequency_penalty":0.0,"logit_bias":{},"user":"u-1","best_of":1,"top_k":-1,"suffix":null}""");
        assertThat(c.get("choices").size()).isEqualTo(1);
    }
}
