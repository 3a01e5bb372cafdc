package io.moeserve.core.generate;

import io.moeserve.core.TestModels;
import io.moeserve.core.engine.Engine;
import io.moeserve.core.sampling.SamplingParams;
import io.moeserve.core.tokenizer.Tokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Generation on the real tiny-moe engine: when it ends and what text it streams. */
class GeneratorTest {
    static final Path TINY = TestModels.tinyMoe();
    static final String PROMPT = "In the beginning God created the heaven and the earth.";
    static Engine engine;
    static Tokenizer tokenizer;
    static int[] prompt, greedy; // the greedy continuation, 16 tokens, EOS ignored

    @BeforeAll
    static void load() {
        engine = Engine.load(TINY);
        tokenizer = Tokenizer.load(TINY);
        prompt = tokenizer.encode(PROMPT);
        greedy = new Generator(engine, tokenizer).generate(prompt, params(16, List.of(), true), s -> { }).tokens();
    }

    @AfterAll
    static void close() {
        engine.close();
        tokenizer.close();
    }

    static SamplingParams params(int maxTokens, List<String> stop, boolean ignoreEos) {
        return new SamplingParams(0f, 1f, 0, null, maxTokens, stop, ignoreEos);
    }

    @Test
    void maxTokens_endsWithLengthAndStreamsTheDecodedText() {
        StringBuilder streamed = new StringBuilder();
        Generator.Result r = new Generator(engine, tokenizer).generate(prompt, params(5, List.of(), true), streamed::append);
        assertThat(r.finishReason()).isEqualTo(FinishReason.LENGTH);
        assertThat(r.tokens()).containsExactly(Arrays.copyOf(greedy, 5));
        assertThat(r.text()).isEqualTo(tokenizer.decode(r.tokens()));
        assertThat(streamed.toString()).isEqualTo(r.text());
        assertThat(r.promptTokens()).isEqualTo(prompt.length);
    }

    @Test
    void eos_endsWithStopAndIsNotPartOfTheOutput(@TempDir Path dir) throws IOException {
        // Declare the token the model emits at some step k >= 2 to be EOS (its first occurrence).
        int k = 2;
        while (indexOf(greedy, greedy[k]) < k) k++;
        int eos = greedy[k];
        Files.writeString(dir.resolve("config.json"), Files.readString(TINY.resolve("config.json"))
                .replace("\"eos_token_id\": 0", "\"eos_token_id\": [7, " + eos + "]"));
        Files.createSymbolicLink(dir.resolve("model.safetensors"), TINY.resolve("model.safetensors"));
        try (Engine e = Engine.load(dir)) {
            Generator.Result r = new Generator(e, tokenizer).generate(prompt, params(16, List.of(), false), s -> { });
            assertThat(r.finishReason()).isEqualTo(FinishReason.STOP);
            assertThat(r.tokens()).containsExactly(Arrays.copyOf(greedy, k));
            Generator.Result ignoring = new Generator(e, tokenizer).generate(prompt, params(16, List.of(), true), s -> { });
            assertThat(ignoring.tokens()).containsExactly(greedy);
        }
    }

    @Test
    void stopSequenceAcrossTokens_cutsTheTextBeforeIt() {
        String full = tokenizer.decode(greedy);
        // a stop made of the last 2 characters of token 3's text and the first 2 of token 4's
        int boundary = tokenizer.decode(Arrays.copyOf(greedy, 4)).length();
        String stop = full.substring(boundary - 2, boundary + 2);
        String expected = full.substring(0, full.indexOf(stop));
        StringBuilder streamed = new StringBuilder();
        Generator.Result r = new Generator(engine, tokenizer).generate(prompt, params(16, List.of("zzz", stop), true), streamed::append);
        assertThat(r.finishReason()).isEqualTo(FinishReason.STOP);
        assertThat(r.text()).isEqualTo(expected).doesNotContain(stop);
        assertThat(streamed.toString()).isEqualTo(expected);
        assertThat(r.tokens().length).isLessThan(greedy.length);
    }

    @Test
    void seededSampling_sameSeedSameText() {
        SamplingParams p = new SamplingParams(1.0f, 0.95f, 50, 1234L, 12, List.of(), true);
        Generator g = new Generator(engine, tokenizer);
        assertThat(g.generate(prompt, p, s -> { }).tokens()).containsExactly(g.generate(prompt, p, s -> { }).tokens());
    }

    static int indexOf(int[] a, int v) {
        for (int i = 0; i < a.length; i++) if (a[i] == v) return i;
        return -1;
    }
}
