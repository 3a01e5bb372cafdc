package io.moeserve.core.engine;

import io.moeserve.core.TestModels;
import io.moeserve.core.generate.Generator;
import io.moeserve.core.sampling.SamplingParams;
import io.moeserve.core.tokenizer.Tokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Requests the engine cannot serve fail with a message naming the token or the limit, and leave caches intact. */
class EngineBadInputTest {
    static final int SMALL_CONTEXT = 40;
    static Engine engine;
    static Engine small; // the same weights with max_position_embeddings = 40
    static Tokenizer tokenizer;

    @BeforeAll
    static void load(@TempDir Path dir) throws IOException {
        Path tiny = TestModels.tinyMoe();
        engine = Engine.load(tiny);
        tokenizer = Tokenizer.load(tiny);
        Files.writeString(dir.resolve("config.json"), Files.readString(tiny.resolve("config.json"))
                .replace("\"max_position_embeddings\": 1024", "\"max_position_embeddings\": " + SMALL_CONTEXT));
        Files.createSymbolicLink(dir.resolve("model.safetensors"), tiny.resolve("model.safetensors"));
        small = Engine.load(dir);
    }

    @AfterAll
    static void close() {
        engine.close();
        small.close();
        tokenizer.close();
    }

    static int[] tokens(int n) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = 1 + (i * 37) % 4000;
        return t;
    }

    @Test
    void emptyPrompt_isRefusedBeforeAnyWork() {
        assertThatThrownBy(() -> new SeqInput(engine.newCache(), new int[0]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least one token");
        assertThatThrownBy(() -> new Generator(engine, tokenizer).generate(new int[0], SamplingParams.greedy(4), s -> { }))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("prompt is empty");
    }

    @Test
    void tokenIdOutsideVocabulary_namesTheIdAndTheVocabularyAndLeavesCacheUntouched() {
        KvCache cache = engine.newCache();
        engine.forward(List.of(new SeqInput(cache, new int[]{5, 6, 7})));
        for (int bad : new int[]{-1, 4096, Integer.MAX_VALUE}) {
            assertThatThrownBy(() -> engine.forward(List.of(new SeqInput(cache, new int[]{8, bad}))))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("token id " + bad).hasMessageContaining("[0, 4096)");
            assertThat(cache.length()).isEqualTo(3);
        }
    }

    @Test
    void promptLongerThanContext_throwsContextLengthExceptionNamingTheLimit() {
        assertThatThrownBy(() -> engine.forward(List.of(new SeqInput(engine.newCache(), tokens(1025)))))
                .isInstanceOfSatisfying(ContextLengthException.class, e -> {
                    assertThat(e.limit()).isEqualTo(1024);
                    assertThat(e.requested()).isEqualTo(1025);
                })
                .hasMessageContaining("1025 tokens").hasMessageContaining("1024 tokens (max_position_embeddings)");
        assertThatThrownBy(() -> new Generator(engine, tokenizer).generate(tokens(1025), SamplingParams.greedy(4), s -> { }))
                .isInstanceOf(ContextLengthException.class).hasMessageContaining("1024");
    }

    @Test
    void decodePastContext_throwsAndKeepsTheCacheUsable() {
        KvCache cache = small.newCache();
        small.forward(List.of(new SeqInput(cache, tokens(SMALL_CONTEXT - 1))));
        small.forward(List.of(new SeqInput(cache, new int[]{11})));
        assertThat(cache.length()).isEqualTo(SMALL_CONTEXT);
        assertThatThrownBy(() -> small.forward(List.of(new SeqInput(cache, new int[]{12}))))
                .isInstanceOfSatisfying(ContextLengthException.class, e -> assertThat(e.limit()).isEqualTo(SMALL_CONTEXT));
        assertThat(cache.length()).isEqualTo(SMALL_CONTEXT);
        cache.truncate(SMALL_CONTEXT - 1);
        float[] again = small.forward(List.of(new SeqInput(cache, new int[]{12})))[0];
        assertThat(again).hasSize(4096);
    }

    @Test
    void oneSequenceOverflowing_failsTheStepWithoutCommittingTheOthers() {
        KvCache ok = small.newCache(), full = small.newCache();
        small.forward(List.of(new SeqInput(ok, tokens(5)), new SeqInput(full, tokens(SMALL_CONTEXT))));
        assertThatThrownBy(() -> small.forward(List.of(new SeqInput(ok, new int[]{3}), new SeqInput(full, new int[]{4}))))
                .isInstanceOf(ContextLengthException.class);
        assertThat(ok.length()).isEqualTo(5);
        assertThat(full.length()).isEqualTo(SMALL_CONTEXT);
    }

    @Test
    void generationReachingTheContext_endsWithLength() {
        var result = new Generator(small, tokenizer).generate(tokens(SMALL_CONTEXT - 3),
                new SamplingParams(0f, 1f, 0, null, 100, List.of(), true), s -> { });
        assertThat(result.finishReason().apiName()).isEqualTo("length");
        assertThat(result.tokens().length).isBetween(1, 4);
    }
}
