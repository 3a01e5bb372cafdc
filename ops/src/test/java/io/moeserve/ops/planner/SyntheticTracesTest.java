package io.moeserve.ops.planner;

import io.moeserve.ops.planner.stats.WindowStats;
import io.moeserve.ops.planner.trace.RoutingTrace;
import io.moeserve.ops.planner.trace.SyntheticTraces;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SyntheticTracesTest {

    private static final ModelShape QWEN = ModelShape.synthetic("qwen3-30b-a3b");

    @Test
    void shapesCarryTheRealModelsDimensionsAndExpertSizes() {
        assertThat(ModelShape.synthetic("mixtral")).isEqualTo(new ModelShape("mixtral", 32, 8, 2, 3L * 4096 * 14336 * 2));
        assertThat(QWEN.experts()).isEqualTo(128);
        assertThat(QWEN.topK()).isEqualTo(8);
        assertThat(ModelShape.synthetic("deepseek-v3").layers()).isEqualTo(58);
        assertThat(ModelShape.synthetic("deepseek-v3").expertBytes()).isEqualTo(3L * 7168 * 2048);
        assertThatThrownBy(() -> ModelShape.synthetic("gpt-5")).hasMessageContaining("unknown synthetic shape 'gpt-5'");
    }

    @Test
    void sameSeed_sameTrace_otherSeed_otherTrace() {
        RoutingTrace a = SyntheticTraces.generate(QWEN, 2, 256, 7);
        RoutingTrace b = SyntheticTraces.generate(QWEN, 2, 256, 7);
        RoutingTrace c = SyntheticTraces.generate(QWEN, 2, 256, 8);
        assertThat(a.tokens()).isEqualTo(512);
        assertThat(choices(a)).isEqualTo(choices(b)).isNotEqualTo(choices(c));
    }

    @Test
    void everyTokenChoosesTopKDistinctExperts() {
        RoutingTrace t = SyntheticTraces.generate(QWEN, 1, 200, 1);
        int[] sel = new int[8];
        for (int tok = 0; tok < t.tokens(); tok++) {
            for (int l = 0; l < t.layers(); l++) {
                t.experts(tok, l, sel);
                assertThat(Arrays.stream(sel).distinct().count()).isEqualTo(8);
                assertThat(Arrays.stream(sel).allMatch(e -> e >= 0 && e < 128)).isTrue();
            }
        }
    }

    @Test
    void popularityIsSkewed_coActivationIsClustered() {
        WindowStats s = WindowStats.of(SyntheticTraces.generate(QWEN, 1, 2048, 3));
        assertThat(s.skew(0)).isGreaterThan(3.0);
        // A clustered co-activation matrix concentrates weight: each expert's top 15 partners (its
        // cluster mates) hold far more than 15/127 of its co-activation.
        double top = 0;
        double all = 0;
        for (int e = 0; e < 128; e++) {
            double[] row = Arrays.copyOfRange(s.coact()[0], e * 128, (e + 1) * 128);
            Arrays.sort(row);
            for (int j = 0; j < 128; j++) {
                all += row[j];
                if (j >= 128 - 15) top += row[j];
            }
        }
        assertThat(top / all).isGreaterThan(0.5);
    }

    @Test
    void popularityDriftsBetweenWindows_beyondSamplingNoise() {
        SyntheticTraces.Options d = SyntheticTraces.defaults(QWEN);
        SyntheticTraces.Options still = new SyntheticTraces.Options(d.zipf(), d.clusterSize(), d.affinity(), 0, d.topicPersistence());
        double drifting = change(SyntheticTraces.generate(QWEN, 3, 2048, 5, d));
        double noiseOnly = change(SyntheticTraces.generate(QWEN, 3, 2048, 5, still));
        assertThat(drifting).isGreaterThan(2 * noiseOnly);
    }

    /** L1 distance of layer-0 expert loads between the first and the last window. */
    private static double change(RoutingTrace t) {
        return l1(WindowStats.of(t.window(0, 3)).load()[0], WindowStats.of(t.window(2, 3)).load()[0]);
    }

    private static double l1(double[] a, double[] b) {
        double d = 0;
        for (int i = 0; i < a.length; i++) d += Math.abs(a[i] - b[i]);
        return d;
    }

    private static int[] choices(RoutingTrace t) {
        int[] out = new int[t.tokens() * t.layers() * t.topK()];
        int p = 0;
        for (int tok = 0; tok < t.tokens(); tok++) {
            for (int l = 0; l < t.layers(); l++) {
                for (int j = 0; j < t.topK(); j++) out[p++] = t.expert(tok, l, j);
            }
        }
        return out;
    }
}
