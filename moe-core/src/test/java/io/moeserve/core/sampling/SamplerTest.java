package io.moeserve.core.sampling;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Sampling decisions on fake logits: determinism by seed, the greedy limits, and the distribution drawn. */
class SamplerTest {
    static final float[] LOGITS = {2f, 1f, 0f, -1f, 0.5f, -3f};

    static SamplingParams params(float temperature, float topP, int topK, Long seed) {
        return new SamplingParams(temperature, topP, topK, seed, 16, List.of(), false);
    }

    static float[] randomLogits(Random r, int vocab) {
        float[] l = new float[vocab];
        for (int i = 0; i < vocab; i++) l[i] = (float) (r.nextGaussian() * 3);
        return l;
    }

    static int[] draw(Sampler s, float[] logits, int n) {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) out[i] = s.next(logits);
        return out;
    }

    @Test
    void sameSeed_sameTokens() {
        float[] logits = randomLogits(new Random(1), 500);
        for (SamplingParams p : List.of(params(1f, 1f, 0, 42L), params(0.7f, 0.9f, 40, 42L))) {
            assertThat(draw(new Sampler(p), logits, 300)).containsExactly(draw(new Sampler(p), logits, 300));
        }
    }

    @Test
    void differentSeeds_drawDifferentTokens() {
        float[] logits = randomLogits(new Random(1), 500);
        assertThat(draw(new Sampler(params(1f, 1f, 0, 1L)), logits, 100))
                .isNotEqualTo(draw(new Sampler(params(1f, 1f, 0, 2L)), logits, 100));
    }

    @Test
    void noSeed_drawsFreshSequences() {
        float[] logits = randomLogits(new Random(1), 500);
        assertThat(draw(new Sampler(params(1f, 1f, 0, null)), logits, 100))
                .isNotEqualTo(draw(new Sampler(params(1f, 1f, 0, null)), logits, 100));
    }

    @Test
    void temperatureZero_topKOne_andTinyTopP_allPickTheArgmax() {
        Random r = new Random(3);
        for (int i = 0; i < 200; i++) {
            float[] logits = randomLogits(r, 300);
            int argmax = Sampler.argmax(logits);
            assertThat(new Sampler(SamplingParams.greedy(1)).next(logits)).isEqualTo(argmax);
            assertThat(new Sampler(params(1.5f, 1f, 1, (long) i)).next(logits)).as("top_k = 1").isEqualTo(argmax);
            assertThat(new Sampler(params(1.5f, 1e-6f, 0, (long) i)).next(logits)).as("top_p tiny").isEqualTo(argmax);
        }
    }

    @Test
    void maskedTokens_areNeverDrawn() {
        float[] logits = {Float.NEGATIVE_INFINITY, 0f, Float.NEGATIVE_INFINITY, 0f};
        Sampler s = new Sampler(params(1f, 1f, 0, 5L)), t = new Sampler(params(1f, 0.99f, 3, 5L));
        for (int i = 0; i < 2000; i++) {
            assertThat(s.next(logits)).isIn(1, 3);
            assertThat(t.next(logits)).isIn(1, 3);
        }
    }

    /** Frequencies over 40k draws within 0.012 of the expected probabilities (> 5 standard deviations). */
    @ParameterizedTest(name = "T={0} top_p={1} top_k={2}")
    @CsvSource({"1.0, 1.0, 0", "0.5, 1.0, 0", "1.8, 1.0, 0", "1.0, 1.0, 2", "1.0, 0.7, 0", "1.0, 0.9, 3"})
    void sampledFrequencies_matchSoftmaxOfTheKeptTokens(float temperature, float topP, int topK) {
        double[] p = new double[LOGITS.length];
        double sum = 0;
        for (int i = 0; i < p.length; i++) sum += p[i] = Math.exp(LOGITS[i] / temperature);
        for (int i = 0; i < p.length; i++) p[i] /= sum;
        // keep the top-k, then the smallest prefix reaching top_p (LOGITS' descending order: 0, 1, 4, 2, 3, 5)
        int[] order = {0, 1, 4, 2, 3, 5};
        int keep = topK > 0 ? topK : p.length;
        double cum = 0;
        int n = 0;
        while (n < keep) {
            cum += p[order[n++]];
            if (cum >= topP) break;
        }
        double[] want = new double[p.length];
        for (int i = 0; i < n; i++) want[order[i]] = p[order[i]] / cum;

        int draws = 40_000;
        int[] counts = new int[p.length];
        Sampler s = new Sampler(params(temperature, topP, topK, 7L));
        for (int i = 0; i < draws; i++) counts[s.next(LOGITS)]++;
        for (int i = 0; i < p.length; i++) {
            assertThat(counts[i] / (double) draws).as("token %d", i).isCloseTo(want[i], within(0.012));
            if (want[i] == 0) assertThat(counts[i]).as("token %d is filtered out", i).isZero();
        }
    }

    @ParameterizedTest(name = "T={0} top_p={1} top_k={2}")
    @CsvSource({"1.0, 0.9, 0", "0.7, 0.5, 0", "1.3, 1.0, 40", "1.0, 0.95, 10", "2.0, 0.999, 0", "0.3, 1.0, 1"})
    void filteredSampling_drawsOnlyTokensOfTheTopKAndNucleus(float temperature, float topP, int topK) {
        Random r = new Random(11);
        for (int round = 0; round < 8; round++) {
            float[] logits = randomLogits(r, round == 0 ? 151_936 : 3000); // Qwen3's vocabulary size, and smaller
            // reference: sort every token by probability, keep top-k, then the smallest prefix reaching top_p
            double[] p = new double[logits.length];
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (float l : logits) max = Math.max(max, l);
            for (int i = 0; i < p.length; i++) sum += p[i] = Math.exp((logits[i] - max) / temperature);
            Integer[] order = new Integer[p.length];
            for (int i = 0; i < p.length; i++) order[i] = i;
            java.util.Arrays.sort(order, (a, b) -> Double.compare(p[b], p[a]));
            java.util.Set<Integer> allowed = new java.util.HashSet<>();
            double cum = 0;
            for (int i = 0; i < (topK > 0 ? topK : p.length); i++) {
                allowed.add(order[i]);
                cum += p[order[i]] / sum;
                if (cum >= topP) break;
            }
            Sampler s = new Sampler(params(temperature, topP, topK, (long) round));
            for (int i = 0; i < (round == 0 ? 10 : 50); i++) assertThat(allowed).contains(s.next(logits));
        }
    }

    @Test
    void logProb_isLogSoftmax() {
        double sum = 0;
        for (float l : LOGITS) sum += Math.exp(l);
        assertThat((double) Sampler.logProb(LOGITS, 1)).isCloseTo(1 - Math.log(sum), within(1e-6));
        assertThat(Sampler.logProb(new float[]{1000f, 0f}, 0)).isCloseTo(0f, within(1e-6f));
    }
}
