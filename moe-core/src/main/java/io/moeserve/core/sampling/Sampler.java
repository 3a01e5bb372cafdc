package io.moeserve.core.sampling;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks the next token from logits: greedy argmax, or softmax(logits / T) restricted to the top-k
 * and then to the smallest set whose probability reaches top-p, sampled with a per-request seeded
 * generator so that the same seed gives the same tokens.
 */
public final class Sampler {
    private final SamplingParams params;
    private final SplittableRandom random;

    public Sampler(SamplingParams params) {
        this.params = params;
        long seed = params.seed() != null ? params.seed() : new SplittableRandom().nextLong();
        this.random = new SplittableRandom(seed);
    }

    public int next(float[] logits) {
        if (params.isGreedy()) return argmax(logits);
        int v = logits.length;
        Integer[] order;
        float max = Float.NEGATIVE_INFINITY;
        for (float l : logits) max = Math.max(max, l);
        double[] p = new double[v];
        double sum = 0;
        for (int i = 0; i < v; i++) {
            p[i] = Math.exp((logits[i] - max) / params.temperature());
            sum += p[i];
        }
        for (int i = 0; i < v; i++) p[i] /= sum;
        boolean filter = (params.topK() > 0 && params.topK() < v) || params.topP() < 1f;
        if (!filter) return draw(p);
        order = new Integer[v];
        for (int i = 0; i < v; i++) order[i] = i;
        final double[] probs = p;
        Arrays.sort(order, (a, b) -> probs[b] != probs[a] ? Double.compare(probs[b], probs[a]) : Integer.compare(a, b));
        int keep = params.topK() > 0 ? Math.min(params.topK(), v) : v;
        double cum = 0;
        int n = 0;
        while (n < keep) {
            cum += p[order[n]];
            n++;
            if (cum >= params.topP()) break;
        }
        // r in [0, cum): token i owns [sum of p before it, + p[i]), so a zero-probability token
        // (a -inf logit, or one that underflowed) can never be drawn, not even when r is exactly 0.
        double r = random.nextDouble() * cum;
        for (int i = 0; i < n; i++) {
            if (r < p[order[i]]) return order[i];
            r -= p[order[i]];
        }
        return order[0];
    }

    private int draw(double[] p) {
        double r = random.nextDouble();
        for (int i = 0; i < p.length; i++) {
            if (r < p[i]) return i;
            r -= p[i];
        }
        return argmax(p); // rounding left r just past the last bucket
    }

    public static int argmax(float[] a) {
        int best = 0;
        for (int i = 1; i < a.length; i++) if (a[i] > a[best]) best = i;
        return best;
    }

    private static int argmax(double[] a) {
        int best = 0;
        for (int i = 1; i < a.length; i++) if (a[i] > a[best]) best = i;
        return best;
    }

    /** log softmax(logits)[token], for the API's logprobs. */
    public static float logProb(float[] logits, int token) {
        float max = Float.NEGATIVE_INFINITY;
        for (float l : logits) max = Math.max(max, l);
        double sum = 0;
        for (float l : logits) sum += Math.exp(l - max);
        return (float) (logits[token] - max - Math.log(sum));
    }
}
