package io.moeserve.core.kernel;

/** Scalar references for {@link Ops}, written as the PyTorch lines they implement. */
public final class ScalarOps {
    private ScalarOps() {
    }

    public static float dot(float[] a, int ao, float[] b, int bo, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) s += (double) a[ao + i] * b[bo + i];
        return (float) s;
    }

    public static void axpy(float alpha, float[] x, int xo, float[] y, int yo, int n) {
        for (int i = 0; i < n; i++) y[yo + i] += alpha * x[xo + i];
    }

    /** out[oo:oo+n] = sum_j p[j] * v[vo + j*stride : +n]: the reference for {@link Ops#weightedSum}. */
    public static void weightedSum(float[] p, int m, float[] v, int vo, int stride, float[] out, int oo, int n) {
        for (int i = 0; i < n; i++) {
            double acc = 0;
            for (int j = 0; j < m; j++) acc += (double) p[j] * v[vo + j * stride + i];
            out[oo + i] = (float) acc;
        }
    }

    public static void addScaled(float alpha, float[] x, int xo, float[] y, int yo, int n) {
        for (int i = 0; i < n; i++) {
            float p = alpha * x[xo + i];
            y[yo + i] = y[yo + i] + p;
        }
    }

    public static void rmsNorm(float[] x, int xo, float[] weight, float eps, float[] out, int oo, int d) {
        // v = x.pow(2).mean(-1); weight * (x * rsqrt(v + eps))
        double ss = 0;
        for (int i = 0; i < d; i++) ss += (double) x[xo + i] * x[xo + i];
        float inv = (float) (1.0 / Math.sqrt(ss / d + eps));
        for (int i = 0; i < d; i++) out[oo + i] = weight[i] * (x[xo + i] * inv);
    }

    public static void siluMul(float[] g, float[] u, int n) {
        // F.silu(w1(x)) * w3(x)
        for (int i = 0; i < n; i++) g[i] = (float) (g[i] / (1.0 + Math.exp(-g[i]))) * u[i];
    }

    /** F.softmax(a, -1), with the max subtracted first so exp never overflows. */
    public static void softmax(float[] a, int ao, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, a[ao + i]);
        double sum = 0;
        for (int i = 0; i < n; i++) {
            float e = (float) Math.exp(a[ao + i] - max);
            a[ao + i] = e;
            sum += e;
        }
        float inv = (float) (1.0 / sum);
        for (int i = 0; i < n; i++) a[ao + i] *= inv;
    }
}
