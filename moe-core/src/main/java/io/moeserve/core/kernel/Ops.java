package io.moeserve.core.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The element-wise and reduction steps of the forward pass, on the Vector API. Each has its
 * one-line PyTorch meaning in the comment and a twin in {@link ScalarOps} it is tested against.
 */
public final class Ops {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();

    /** ROT[j] moves lane i + L/2^(j+1) to lane i: the steps of a fixed pairwise summation tree. */
    @SuppressWarnings("unchecked")
    private static final VectorShuffle<Float>[] ROT = new VectorShuffle[Integer.numberOfTrailingZeros(L)];

    static {
        for (int j = 0, h = L / 2; h >= 1; j++, h /= 2) ROT[j] = VectorShuffle.iota(F, h, 1, true);
    }

    private static final VectorShuffle<Float> ROT8_4 = L == 8 ? VectorShuffle.iota(F, 4, 1, true) : null;
    private static final VectorShuffle<Float> ROT8_2 = L == 8 ? VectorShuffle.iota(F, 2, 1, true) : null;
    private static final VectorShuffle<Float> ROT8_1 = L == 8 ? VectorShuffle.iota(F, 1, 1, true) : null;
    private static final VectorShuffle<Float> ROT16_8 = L == 16 ? VectorShuffle.iota(F, 8, 1, true) : null;
    private static final VectorShuffle<Float> ROT16_4 = L == 16 ? VectorShuffle.iota(F, 4, 1, true) : null;
    private static final VectorShuffle<Float> ROT16_2 = L == 16 ? VectorShuffle.iota(F, 2, 1, true) : null;
    private static final VectorShuffle<Float> ROT16_1 = L == 16 ? VectorShuffle.iota(F, 1, 1, true) : null;

    private Ops() {
    }

    /**
     * The sum of v's lanes in a fixed order. Not reduceLanes(ADD): its order is unspecified and does
     * differ between the JIT's intrinsic and the interpreter, so the same row would round differently
     * before and after warm-up, or in the router's JVM and an expert service's. Lanewise adds and
     * shuffles are exact, so this tree gives the same bits in every execution mode.
     */
    static float sum(FloatVector v) {
        if (L == 8) {
            // Unrolled with constant shuffles so C2 emits three permute+add pairs (AVX2).
            v = v.add(v.rearrange(ROT8_4));
            v = v.add(v.rearrange(ROT8_2));
            v = v.add(v.rearrange(ROT8_1));
            return v.lane(0);
        }
        if (L == 16) {
            // AVX-512: the same tree. A shuffle read from the ROT array is not a constant, so C2 does
            // not intrinsify rearrange and falls back to a boxed Java loop (a fifth of the router's
            // and the experts' CPU in a JFR profile before this branch existed).
            v = v.add(v.rearrange(ROT16_8));
            v = v.add(v.rearrange(ROT16_4));
            v = v.add(v.rearrange(ROT16_2));
            v = v.add(v.rearrange(ROT16_1));
            return v.lane(0);
        }
        for (VectorShuffle<Float> r : ROT) v = v.add(v.rearrange(r));
        return v.lane(0);
    }

    /** sum_i a[ao+i] * b[bo+i] */
    public static float dot(float[] a, int ao, float[] b, int bo, int n) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (; i + L <= n; i += L) acc = FloatVector.fromArray(F, a, ao + i).fma(FloatVector.fromArray(F, b, bo + i), acc);
        float s = sum(acc);
        for (; i < n; i++) s += a[ao + i] * b[bo + i];
        return s;
    }

    /**
     * out[j] = dot(a[ao:ao+n], b[bo + j*stride : +n]) * scale for j in [0, m) ({@code q k^T / sqrt(d)}).
     * The same bits as m calls of {@link #dot}; for a head of two or four vectors (head_dim 32 on
     * AVX-512 or AVX2) a's vectors are loaded once instead of once per key.
     */
    public static void scaledDots(float[] a, int ao, float[] b, int bo, int stride, int m, int n, float scale, float[] out) {
        FloatVector zero = FloatVector.zero(F);
        if (n == 2 * L) {
            FloatVector a0 = FloatVector.fromArray(F, a, ao), a1 = FloatVector.fromArray(F, a, ao + L);
            for (int j = 0, base = bo; j < m; j++, base += stride) {
                FloatVector acc = a0.fma(FloatVector.fromArray(F, b, base), zero);
                acc = a1.fma(FloatVector.fromArray(F, b, base + L), acc);
                out[j] = sum(acc) * scale;
            }
        } else if (n == 4 * L) {
            FloatVector a0 = FloatVector.fromArray(F, a, ao), a1 = FloatVector.fromArray(F, a, ao + L);
            FloatVector a2 = FloatVector.fromArray(F, a, ao + 2 * L), a3 = FloatVector.fromArray(F, a, ao + 3 * L);
            for (int j = 0, base = bo; j < m; j++, base += stride) {
                FloatVector acc = a0.fma(FloatVector.fromArray(F, b, base), zero);
                acc = a1.fma(FloatVector.fromArray(F, b, base + L), acc);
                acc = a2.fma(FloatVector.fromArray(F, b, base + 2 * L), acc);
                acc = a3.fma(FloatVector.fromArray(F, b, base + 3 * L), acc);
                out[j] = sum(acc) * scale;
            }
        } else {
            for (int j = 0; j < m; j++) out[j] = dot(a, ao, b, bo + j * stride, n) * scale;
        }
    }

    /** y[yo:yo+n] += alpha * x[xo:xo+n] */
    public static void axpy(float alpha, float[] x, int xo, float[] y, int yo, int n) {
        FloatVector a = FloatVector.broadcast(F, alpha);
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector.fromArray(F, x, xo + i).fma(a, FloatVector.fromArray(F, y, yo + i)).intoArray(y, yo + i);
        }
        for (; i < n; i++) y[yo + i] += alpha * x[xo + i];
    }

    /**
     * out[oo:oo+n] = sum_j p[j] * v[vo + j*stride : +n] for j in [0, m) ({@code softmax(scores) @ V}).
     * The same bits as zeroing out and calling {@link #axpy} for j = 0, 1, ...: each column is
     * accumulated in j order with one FMA per term. The difference is where the partial sums live:
     * in registers across the whole j loop, not re-loaded and re-stored for every j (with a head of
     * 32 floats the axpy version was a chain through memory, a third of the router's CPU).
     */
    public static void weightedSum(float[] p, int m, float[] v, int vo, int stride, float[] out, int oo, int n) {
        int i = 0;
        for (; i + 2 * L <= n; i += 2 * L) {
            FloatVector a0 = FloatVector.zero(F), a1 = a0;
            for (int j = 0, base = vo + i; j < m; j++, base += stride) {
                FloatVector pj = FloatVector.broadcast(F, p[j]);
                a0 = FloatVector.fromArray(F, v, base).fma(pj, a0);
                a1 = FloatVector.fromArray(F, v, base + L).fma(pj, a1);
            }
            a0.intoArray(out, oo + i);
            a1.intoArray(out, oo + i + L);
        }
        for (; i + L <= n; i += L) {
            FloatVector a = FloatVector.zero(F);
            for (int j = 0, base = vo + i; j < m; j++, base += stride) {
                a = FloatVector.fromArray(F, v, base).fma(FloatVector.broadcast(F, p[j]), a);
            }
            a.intoArray(out, oo + i);
        }
        for (; i < n; i++) {
            // axpy's scalar tail: product and add rounded separately.
            float acc = 0f;
            for (int j = 0; j < m; j++) acc += p[j] * v[vo + j * stride + i];
            out[oo + i] = acc;
        }
    }

    /**
     * y[yo:] += (alpha * x[xo:]) with the product rounded before the add (no FMA), so that summing
     * expert outputs gives bit-identical results however the experts are grouped across instances.
     */
    public static void addScaled(float alpha, float[] x, int xo, float[] y, int yo, int n) {
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector.fromArray(F, x, xo + i).mul(alpha).add(FloatVector.fromArray(F, y, yo + i)).intoArray(y, yo + i);
        }
        for (; i < n; i++) y[yo + i] += alpha * x[xo + i];
    }

    /** y += x over n elements */
    public static void add(float[] x, float[] y, int n) {
        int i = 0;
        for (; i + L <= n; i += L) FloatVector.fromArray(F, x, i).add(FloatVector.fromArray(F, y, i)).intoArray(y, i);
        for (; i < n; i++) y[i] += x[i];
    }

    /** RMSNorm: out = weight * (x * rsqrt(mean(x^2) + eps)), for each of n rows of width d. */
    public static void rmsNorm(float[] x, int xo, float[] weight, float eps, float[] out, int oo, int d) {
        FloatVector ss = FloatVector.zero(F);
        int i = 0;
        for (; i + L <= d; i += L) {
            FloatVector v = FloatVector.fromArray(F, x, xo + i);
            ss = v.fma(v, ss);
        }
        float sum = sum(ss);
        for (; i < d; i++) sum += x[xo + i] * x[xo + i];
        float inv = (float) (1.0 / Math.sqrt(sum / d + eps));
        i = 0;
        for (; i + L <= d; i += L) {
            FloatVector.fromArray(F, x, xo + i).mul(inv).mul(FloatVector.fromArray(F, weight, i)).intoArray(out, oo + i);
        }
        for (; i < d; i++) out[oo + i] = weight[i] * (x[xo + i] * inv);
    }

    /**
     * SwiGLU gate: g = silu(g) * u = g / (1 + exp(-g)) * u, over n elements. Scalar on purpose: the
     * Vector API's EXP is an approximation whose bits differ between JIT and interpreter, while
     * Math.exp gives the same bits everywhere; the exps are a tiny share of an expert's work.
     */
    public static void siluMul(float[] g, float[] u, int n) {
        for (int i = 0; i < n; i++) g[i] = (float) (g[i] / (1.0 + Math.exp(-g[i]))) * u[i];
    }

    /** In-place softmax over a[ao:ao+n]: exp(a - max) / sum. */
    public static void softmax(float[] a, int ao, int n) {
        ScalarOps.softmax(a, ao, n);
    }
}
