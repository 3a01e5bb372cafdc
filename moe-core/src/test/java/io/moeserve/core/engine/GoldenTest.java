package io.moeserve.core.engine;

import io.moeserve.core.TestModels;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The engine against golden.json: logits, experts chosen in every layer, greedy continuation. */
class GoldenTest {
    static Engine engine;

    @BeforeAll
    static void load() {
        engine = Engine.load(TestModels.tinyMoe());
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    static List<Golden> cases() {
        return Golden.load();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void prefillLogits_matchReferenceWithin1e3(Golden g) {
        ForwardPass pass = engine.run(engine.begin(List.of(new SeqInput(engine.newCache(), g.inputIds()))));
        float[] logits = pass.logits()[0];
        float diff = maxAbsDiff(logits, g.lastLogits());
        System.out.printf("golden %-44s max|logit diff| = %.2e%n", g, diff);
        assertThat(diff).isLessThanOrEqualTo(1e-3f);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void routerTopk_identicalInEveryLayerForEveryToken(Golden g) {
        ForwardPass pass = engine.run(engine.begin(List.of(new SeqInput(engine.newCache(), g.inputIds()))));
        for (int l = 0; l < g.routerTopk().length; l++) {
            Routing r = pass.routings().get(l);
            for (int t = 0; t < g.inputIds().length; t++) {
                int[] got = new int[r.k()];
                for (int j = 0; j < r.k(); j++) got[j] = r.expert(t, j);
                assertThat(got).as("layer %d token %d", l, t).containsExactly(g.routerTopk()[l][t]);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void greedyContinuation_identicalToReference(Golden g) {
        KvCache cache = engine.newCache();
        float[] logits = engine.forward(List.of(new SeqInput(cache, g.inputIds())))[0];
        for (int i = 0; i < g.greedyIds().length; i++) {
            int next = argmax(logits);
            assertThat(next).as("step %d", i).isEqualTo(g.greedyIds()[i]);
            logits = engine.forward(List.of(new SeqInput(cache, new int[]{next})))[0];
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void kvCachedDecode_matchesRecomputingWholeSequence(Golden g) {
        KvCache cache = engine.newCache();
        float[] logits = engine.forward(List.of(new SeqInput(cache, g.inputIds())))[0];
        int[] seq = java.util.Arrays.copyOf(g.inputIds(), g.inputIds().length + 8);
        for (int i = 0; i < 8; i++) {
            int next = argmax(logits);
            seq[g.inputIds().length + i] = next;
            logits = engine.forward(List.of(new SeqInput(cache, new int[]{next})))[0];
            int[] prefix = java.util.Arrays.copyOf(seq, g.inputIds().length + i + 1);
            float[] full = engine.forward(List.of(new SeqInput(engine.newCache(), prefix)))[0];
            assertThat(maxAbsDiff(logits, full)).as("step %d", i).isLessThanOrEqualTo(1e-4f);
        }
    }

    static float maxAbsDiff(float[] a, float[] b) {
        assertThat(a).hasSameSizeAs(b);
        float m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }

    static int argmax(float[] a) {
        int best = 0;
        for (int i = 1; i < a.length; i++) if (a[i] > a[best]) best = i;
        return best;
    }
}
