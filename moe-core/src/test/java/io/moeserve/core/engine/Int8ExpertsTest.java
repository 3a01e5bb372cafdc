package io.moeserve.core.engine;

import io.moeserve.core.TestModels;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.moeserve.core.engine.GoldenTest.argmax;
import static io.moeserve.core.engine.GoldenTest.maxAbsDiff;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The error int8 expert weights (per-32-column-block scales) cause, measured against golden.json and
 * printed for docs/benchmarks.md. Only a generous bound is asserted: int8 is an opt-in approximation.
 */
class Int8ExpertsTest {
    static Engine int8;

    @BeforeAll
    static void load() {
        int8 = Engine.load(TestModels.tinyMoe(), true);
    }

    @AfterAll
    static void close() {
        int8.close();
    }

    @Test
    void int8Experts_logitErrorAgainstGoldenIsSmallAndReported() {
        float worst = 0;
        int matched = 0, steps = 0, casesFullyMatched = 0;
        List<Golden> cases = Golden.load();
        for (Golden g : cases) {
            KvCache cache = int8.newCache();
            float[] logits = int8.forward(List.of(new SeqInput(cache, g.inputIds())))[0];
            float diff = maxAbsDiff(logits, g.lastLogits());
            worst = Math.max(worst, diff);
            int same = 0;
            while (same < g.greedyIds().length && argmax(logits) == g.greedyIds()[same]) {
                logits = int8.forward(List.of(new SeqInput(cache, new int[]{g.greedyIds()[same]})))[0];
                same++;
            }
            matched += same;
            steps += g.greedyIds().length;
            if (same == g.greedyIds().length) casesFullyMatched++;
            System.out.printf("int8 experts %-44s max|logit - golden| = %.4f, greedy tokens matching before first divergence: %d/%d%n",
                    g, diff, same, g.greedyIds().length);
        }
        System.out.printf("int8 experts SUMMARY: max|logit - golden| = %.4f over %d cases; greedy continuations identical in %d/%d cases (%d/%d tokens before divergence)%n",
                worst, cases.size(), casesFullyMatched, cases.size(), matched, steps);
        assertThat(worst).isLessThan(0.5f);
        assertThat(casesFullyMatched).isPositive();
    }

    @Test
    void int8Experts_holdAboutHalfTheBytesOfBf16() {
        LocalExperts q = (LocalExperts) int8.experts();
        long bf16 = 0;
        for (ExpertWeights w : q.held()) bf16 += 2L * (w.w1().rows() * (long) w.w1().cols() * 3);
        assertThat((double) q.heldBytes() / bf16).isBetween(0.5, 0.57); // int8 + one float scale per 32 weights
    }
}
