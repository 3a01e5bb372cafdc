package io.moeserve.core.kernel;

import io.moeserve.core.tensor.Matrix;

/**
 * The reference for {@link Gemm}: the plain triple loop of PyTorch's {@code F.linear(x, W)}, one
 * element at a time, in double so that it is a tighter reference than the kernel it checks.
 */
public final class ScalarGemm {
    private ScalarGemm() {
    }

    /** out[t, o] = sum_i x[t, i] * W[o, i] for t in [0, n). */
    public static void matmul(Matrix w, float[] x, int n, float[] out) {
        for (int t = 0; t < n; t++) {
            for (int o = 0; o < w.rows(); o++) {
                double acc = 0;
                for (int i = 0; i < w.cols(); i++) acc += (double) x[t * w.cols() + i] * w.get(o, i);
                out[t * w.rows() + o] = (float) acc;
            }
        }
    }
}
