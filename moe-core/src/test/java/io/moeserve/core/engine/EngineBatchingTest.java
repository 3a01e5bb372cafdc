package io.moeserve.core.engine;

import io.moeserve.core.TestModels;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static io.moeserve.core.engine.GoldenTest.argmax;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A sequence's logits do not depend on what else is in the step: batched prefill, a decode batch of
 * sequences at different positions, per-position prompt logits and KV-cached decode all reproduce the
 * single-sequence, full-recompute results bit for bit. The distributed path (other batch shapes per
 * expert service) is checked against the monolithic engine on exactly this property.
 */
class EngineBatchingTest {
    static Engine engine;
    static final int[][] PROMPTS = {{12, 345, 678, 91, 1011}, {7}, {3000, 2999, 5, 17, 40, 41, 42, 43, 44, 45, 46, 47, 48}};

    @BeforeAll
    static void load() {
        engine = Engine.load(TestModels.tinyMoe());
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    static float[] alone(int[] seq) {
        return engine.forward(List.of(new SeqInput(engine.newCache(), seq)))[0];
    }

    @Test
    void batchedPrefillAndDecode_bitIdenticalToEachSequenceAlone() {
        List<KvCache> caches = new ArrayList<>();
        List<SeqInput> step = new ArrayList<>();
        for (int[] p : PROMPTS) {
            caches.add(engine.newCache());
            step.add(new SeqInput(caches.getLast(), p));
        }
        float[][] logits = engine.forward(step);
        int[][] seqs = new int[PROMPTS.length][];
        for (int s = 0; s < PROMPTS.length; s++) {
            assertThat(logits[s]).as("prefill of sequence %d", s).containsExactly(alone(PROMPTS[s]));
            seqs[s] = PROMPTS[s];
        }
        for (int i = 0; i < 4; i++) {
            step.clear();
            for (int s = 0; s < PROMPTS.length; s++) {
                int next = argmax(logits[s]);
                seqs[s] = Arrays.copyOf(seqs[s], seqs[s].length + 1);
                seqs[s][seqs[s].length - 1] = next;
                step.add(new SeqInput(caches.get(s), new int[]{next}));
            }
            logits = engine.forward(step);
            for (int s = 0; s < PROMPTS.length; s++) {
                assertThat(logits[s]).as("decode step %d of sequence %d", i, s).containsExactly(alone(seqs[s]));
            }
        }
    }

    @Test
    void allLogits_eachPositionBitIdenticalToPrefillOfItsPrefix() {
        int[] p = PROMPTS[2];
        float[] all = engine.forward(List.of(new SeqInput(engine.newCache(), p, true)))[0];
        assertThat(all).hasSize(p.length * 4096);
        for (int t = 0; t < p.length; t++) {
            assertThat(Arrays.copyOfRange(all, t * 4096, (t + 1) * 4096)).as("position %d", t)
                    .containsExactly(alone(Arrays.copyOf(p, t + 1)));
        }
    }

    @Test
    void chunkedPrefill_bitIdenticalToOneShotPrefill() {
        int[] p = PROMPTS[2];
        KvCache cache = engine.newCache();
        engine.forward(List.of(new SeqInput(cache, Arrays.copyOf(p, 6))));
        float[] chunked = engine.forward(List.of(new SeqInput(cache, Arrays.copyOfRange(p, 6, p.length))))[0];
        assertThat(chunked).containsExactly(alone(p));
    }
}
