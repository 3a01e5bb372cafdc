package io.moeserve.core.kernel;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;

import static io.moeserve.core.kernel.GemmTest.randomFloats;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Each Vector API op against its scalar twin, at lengths below, at and around the vector width, with offsets. */
class OpsTest {
    static final int OFF = 3; // unaligned offsets into the arrays, as in the forward pass's packed rows

    @ParameterizedTest(name = "n={0}")
    @ValueSource(ints = {1, 7, 8, 9, 16, 33, 256})
    void dot_matchesScalarWithinRelativeError(int n) {
        float[] a = randomFloats(n + OFF, n), b = randomFloats(n + 2 * OFF, n + 1);
        double mag = 0;
        for (int i = 0; i < n; i++) mag += Math.abs(a[OFF + i] * b[2 * OFF + i]);
        assertThat((double) Ops.dot(a, OFF, b, 2 * OFF, n))
                .isCloseTo(ScalarOps.dot(a, OFF, b, 2 * OFF, n), within(1e-6 * mag + 1e-30));
    }

    @ParameterizedTest(name = "n={0}")
    @ValueSource(ints = {1, 7, 8, 9, 16, 33, 256})
    void axpy_matchesScalarWithinOneRounding(int n) {
        float[] x = randomFloats(n + OFF, n), y = randomFloats(n + OFF, n + 2), y2 = y.clone();
        Ops.axpy(0.37f, x, OFF, y, 1, n);
        ScalarOps.axpy(0.37f, x, OFF, y2, 1, n);
        for (int i = 0; i < y.length; i++) assertThat(y[i]).isCloseTo(y2[i], within(1e-6f * (1 + Math.abs(y2[i]))));
        assertThat(y[0]).as("untouched before the offset").isEqualTo(y2[0]);
    }

    @ParameterizedTest(name = "n={0}")
    @ValueSource(ints = {1, 7, 8, 9, 16, 32, 33, 64})
    void scaledDots_sameBitsAsRepeatedDot(int n) {
        int m = 29, stride = n + 4;
        float[] a = randomFloats(n + OFF, 21), b = randomFloats(OFF + m * stride, 22);
        float[] out = new float[m];
        Ops.scaledDots(a, OFF, b, OFF, stride, m, n, 0.125f, out);
        for (int j = 0; j < m; j++) assertThat(out[j]).isEqualTo(Ops.dot(a, OFF, b, OFF + j * stride, n) * 0.125f);
    }

    @ParameterizedTest(name = "n={0}")
    @ValueSource(ints = {1, 7, 8, 9, 16, 32, 33, 64, 128})
    void weightedSum_sameBitsAsRepeatedAxpy_andCloseToScalar(int n) {
        // The attention output must not change bits with the kernel that computes it: the golden
        // tokens and the distributed path's equality with the monolithic engine were set with axpy.
        int m = 37, stride = n + 5;
        float[] p = randomFloats(m, 11), v = randomFloats(OFF + m * stride, n + 3);
        float[] out = randomFloats(n + 2 * OFF, 5), viaAxpy = out.clone(), ref = out.clone();
        Ops.weightedSum(p, m, v, OFF, stride, out, 2 * OFF, n);
        Arrays.fill(viaAxpy, 2 * OFF, 2 * OFF + n, 0f);
        for (int j = 0; j < m; j++) Ops.axpy(p[j], v, OFF + j * stride, viaAxpy, 2 * OFF, n);
        assertThat(out).containsExactly(viaAxpy);
        ScalarOps.weightedSum(p, m, v, OFF, stride, ref, 2 * OFF, n);
        for (int i = 0; i < n; i++) assertThat(out[2 * OFF + i]).isCloseTo(ref[2 * OFF + i], within(1e-5f * (1 + Math.abs(ref[2 * OFF + i]))));
        assertThat(out[0]).as("untouched before the offset").isEqualTo(ref[0]);
    }

    @ParameterizedTest(name = "n={0}")
    @ValueSource(ints = {1, 7, 8, 9, 16, 33, 256})
    void addScaled_bitIdenticalToScalar(int n) {
        // No FMA: summing expert outputs must not depend on how they were grouped across instances.
        float[] x = randomFloats(n + OFF, n), y = randomFloats(n + OFF, n + 2), y2 = y.clone();
        Ops.addScaled(-1.7f, x, OFF, y, 2, n);
        ScalarOps.addScaled(-1.7f, x, OFF, y2, 2, n);
        assertThat(y).containsExactly(y2);
    }

    @ParameterizedTest(name = "n={0}")
    @ValueSource(ints = {1, 7, 8, 9, 256})
    void add_isExactElementwiseSum(int n) {
        float[] x = randomFloats(n, n), y = randomFloats(n, n + 1), want = new float[n];
        for (int i = 0; i < n; i++) want[i] = x[i] + y[i];
        Ops.add(x, y, n);
        assertThat(y).containsExactly(want);
    }

    @ParameterizedTest(name = "d={0}")
    @ValueSource(ints = {1, 7, 8, 9, 32, 33, 256})
    void rmsNorm_matchesScalarWithinRelativeError(int d) {
        float[] x = randomFloats(d + OFF, d), w = randomFloats(d, d + 5);
        float[] got = new float[d + 1], want = new float[d + 1];
        Ops.rmsNorm(x, OFF, w, 1e-5f, got, 1, d);
        ScalarOps.rmsNorm(x, OFF, w, 1e-5f, want, 1, d);
        for (int i = 1; i <= d; i++) assertThat(got[i]).isCloseTo(want[i], within(1e-5f * (1 + Math.abs(want[i]))));
        // in place (q/k norm uses it that way)
        float[] inPlace = x.clone();
        Ops.rmsNorm(inPlace, OFF, w, 1e-5f, inPlace, OFF, d);
        for (int i = 0; i < d; i++) assertThat(inPlace[OFF + i]).isCloseTo(want[1 + i], within(1e-5f * (1 + Math.abs(want[1 + i]))));
    }

    @ParameterizedTest(name = "n={0}")
    @ValueSource(ints = {1, 7, 8, 9, 33, 256})
    void siluMul_matchesScalarWithinRelativeError(int n) {
        float[] g = randomFloats(n, n), u = randomFloats(n, n + 9);
        for (int i = 0; i < n; i += 5) g[i] *= 40; // saturated tails: exp overflow/underflow
        float[] g2 = g.clone();
        Ops.siluMul(g, u, n);
        ScalarOps.siluMul(g2, u, n);
        for (int i = 0; i < n; i++) {
            assertThat(Float.isFinite(g[i])).isTrue();
            assertThat(g[i]).isCloseTo(g2[i], within(2e-6f * (1 + Math.abs(g2[i]))));
        }
    }

    @ParameterizedTest(name = "n={0}")
    @ValueSource(ints = {1, 2, 16, 33, 4096})
    void softmax_matchesScalarAndSumsToOne(int n) {
        float[] a = randomFloats(n + OFF, n);
        for (int i = 0; i < a.length; i++) a[i] *= 30; // large logits: max must be subtracted first
        float[] b = a.clone();
        Ops.softmax(a, OFF, n);
        ScalarOps.softmax(b, OFF, n);
        double sum = 0;
        for (int i = 0; i < n; i++) {
            assertThat(a[OFF + i]).isCloseTo(b[OFF + i], within(1e-7f));
            sum += a[OFF + i];
        }
        assertThat(sum).isCloseTo(1.0, within(1e-5));
        assertThat(Arrays.copyOf(a, OFF)).as("before the offset untouched").containsExactly(Arrays.copyOf(b, OFF));
    }
}
