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
        long[] order = candidates(p);
        // Walk down from the most probable: the top-k, then the smallest prefix reaching top_p.
        int keep = Math.min(order.length, params.topK() > 0 ? params.topK() : order.length);
        double cum = 0;
        int n = 0;
        while (n < keep) {
            cum += p[token(order, n)];
            n++;
            if (cum >= params.topP()) break;
        }
        // r in [0, cum): token i owns [sum of p before it, + p[i]), so a zero-probability token
        // (a -inf logit, or one that underflowed) can never be drawn, not even when r is exactly 0.
        double r = random.nextDouble() * cum;
        for (int i = 0; i < n; i++) {
            int t = token(order, i);
            if (r < p[t]) return t;
            r -= p[t];
        }
        return token(order, 0);
    }

    /**
     * The tokens that can survive top-k/top-p, most probable first, as (float bits of p, ~index)
     * packed in longs: a primitive sort instead of boxing and sorting the whole vocabulary (150k
     * tokens for Qwen3) every step. A token below (1 - top_p) / vocab cannot be in the nucleus (all such
     * tokens together hold less than 1 - top_p), and only the k best matter for top-k.
     */
    private long[] candidates(double[] p) {
        int v = p.length;
        double floor = params.topP() < 1f ? (1 - params.topP()) / v : 0;
        int k = params.topK() > 0 ? Math.min(params.topK(), v) : v;
        long[] keys = new long[v];
        int m = 0;
        for (int i = 0; i < v; i++) {
            if (p[i] > 0 && p[i] >= floor) keys[m++] = ((long) Float.floatToRawIntBits((float) p[i]) << 32) | (0xFFFFFFFFL - i);
        }
        if (k < m) m = topK(keys, m, k);
        Arrays.sort(keys, 0, m);
        // descending order: reverse (ties: the lower token id first, from the ~index half)
        for (int i = 0, j = m - 1; i < j; i++, j--) {
            long t = keys[i];
            keys[i] = keys[j];
            keys[j] = t;
        }
        return Arrays.copyOf(keys, m);
    }

    private static int token(long[] order, int i) {
        return (int) (0xFFFFFFFFL - (order[i] & 0xFFFFFFFFL));
    }

    /** Moves the k largest of keys[0, m) to keys[0, k) with a min-heap of size k; returns k. */
    private static int topK(long[] keys, int m, int k) {
        for (int i = k / 2 - 1; i >= 0; i--) siftDown(keys, i, k);
        for (int i = k; i < m; i++) {
            if (keys[i] > keys[0]) {
                keys[0] = keys[i];
                siftDown(keys, 0, k);
            }
        }
        return k;
    }

    private static void siftDown(long[] h, int i, int n) {
        while (true) {
            int c = 2 * i + 1;
            if (c >= n) return;
            if (c + 1 < n && h[c + 1] < h[c]) c++;
            if (h[i] <= h[c]) return;
            long t = h[i];
            h[i] = h[c];
            h[c] = t;
            i = c;
        }
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
