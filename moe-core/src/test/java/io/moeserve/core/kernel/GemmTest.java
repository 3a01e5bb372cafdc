package io.moeserve.core.kernel;

import io.moeserve.core.checkpoint.DType;
import io.moeserve.core.checkpoint.SafetensorsWriter;
import io.moeserve.core.tensor.Matrix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Vector API GEMM against the scalar reference for every weight dtype and batch shape, and the
 * bit-exactness properties the distributed path relies on: a row's result does not depend on the
 * batch it is computed in, nor on how the rows of W are split over threads.
 */
class GemmTest {
    static final int[] BATCHES = {1, 3, 4, 5, 17, 128};
    static final DType[] DTYPES = {DType.F32, DType.BF16, DType.F16, DType.I8};

    /** rows x cols of W: even, odd row counts; cols a multiple of the vector width or not (scalar fallback). */
    static Stream<Arguments> shapes() {
        List<Arguments> out = new ArrayList<>();
        int[][] shapes = {{64, 256}, {33, 96}, {7, 64}, {1, 32}, {16, 40}, {10, 12}, {5, 3}};
        for (DType t : DTYPES) {
            for (int[] s : shapes) {
                if (t == DType.I8 && s[1] % Matrix.Q_BLOCK != 0) continue; // int8 blocks are 32 columns
                for (int n : BATCHES) {
                    if (n == 128 && s[0] * s[1] < 2048) continue; // big batches on the larger shapes only (time)
                    out.add(Arguments.of(t, s[0], s[1], n));
                }
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} W[{1}x{2}] n={3}")
    @MethodSource("shapes")
    void vectorGemm_matchesScalarReferenceWithinRelativeError(DType dtype, int rows, int cols, int n) {
        Matrix w = matrix(dtype, rows, cols, 31L * rows + cols);
        float[] x = randomFloats(n * cols, n + 7L);
        float[] got = new float[n * rows], want = new float[n * rows];
        Gemm.matmul(w, x, n, got);
        ScalarGemm.matmul(w, x, n, want);
        for (int t = 0; t < n; t++) {
            for (int o = 0; o < rows; o++) {
                // Float summation error is bounded by ~cols * eps * sum|x_i w_i|; 1e-5 of that sum is
                // generous for rounding and far below what a wrong element or a skipped tail would cost.
                double mag = 0;
                for (int i = 0; i < cols; i++) mag += Math.abs((double) x[t * cols + i] * w.get(o, i));
                assertThat((double) Math.abs(got[t * rows + o] - want[t * rows + o]))
                        .as("%s row %d of x, output %d", dtype, t, o).isLessThanOrEqualTo(1e-5 * mag + 1e-30);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dtypes")
    void rowResult_bitIdenticalWhateverBatchItIsIn(DType dtype) {
        int rows = 35, cols = 128, n = 17;
        Matrix w = matrix(dtype, rows, cols, 5);
        float[] x = randomFloats(n * cols, 6);
        float[] batch = new float[n * rows];
        Gemm.matmul(w, x, n, batch);
        for (int t = 0; t < n; t++) {
            float[] alone = new float[rows];
            Gemm.matmul(w, java.util.Arrays.copyOfRange(x, t * cols, (t + 1) * cols), 1, alone);
            for (int o = 0; o < rows; o++) {
                assertThat(Float.floatToRawIntBits(batch[t * rows + o])).as("%s token %d output %d", dtype, t, o)
                        .isEqualTo(Float.floatToRawIntBits(alone[o]));
            }
            // The same token inside a batch of 5 (a 4-row tile plus a remainder row) at another position.
            float[] five = new float[5 * cols];
            for (int j = 0; j < 5; j++) System.arraycopy(x, ((t + j) % n) * cols, five, ((j + 4) % 5) * cols, cols);
            float[] out5 = new float[5 * rows];
            Gemm.matmul(w, five, 5, out5);
            for (int o = 0; o < rows; o++) {
                assertThat(Float.floatToRawIntBits(out5[4 * rows + o])).isEqualTo(Float.floatToRawIntBits(alone[o]));
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dtypes")
    void multiThreadedGemm_identicalToSingleThreadedAndToAnyRowSplit(DType dtype) {
        // 2048 x 256: many chunks, so both cores take part (see ParallelTest for the hand-off itself).
        int rows = 2047, cols = 256;
        Matrix w = matrix(dtype, rows, cols, 11);
        for (int n : new int[]{1, 5}) {
            float[] x = randomFloats(n * cols, 12);
            float[] parallel = new float[n * rows], single = new float[n * rows], split = new float[n * rows];
            Gemm.matmul(w, x, n, parallel);
            Gemm.rows(w, x, n, single, 0, rows);
            // odd split points: a row pair of one split is a lone row of another
            int[] cuts = {0, 1, 8, 9, 500, 1001, rows};
            for (int i = 0; i + 1 < cuts.length; i++) Gemm.rows(w, x, n, split, cuts[i], cuts[i + 1]);
            assertThat(parallel).as("n=%d parallel vs single", n).containsExactly(single);
            assertThat(split).as("n=%d split rows vs single", n).containsExactly(single);
        }
    }

    @Test
    void f16Widening_isExactForEveryFiniteValue() {
        // all 63488 finite f16 bit patterns, 8 to a row; x = one-hot picks each lane in turn
        int cols = 8, rows = 65536 / cols;
        MemorySegment seg = Arena.ofAuto().allocate(65536L * 2, 8);
        for (int i = 0; i < 65536; i++) {
            boolean finite = (i & 0x7C00) != 0x7C00;
            seg.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, (short) (finite ? i : 0));
        }
        Matrix w = new Matrix("all-f16", DType.F16, rows, cols, seg, null);
        for (int j = 0; j < cols; j++) {
            float[] x = new float[cols], out = new float[rows];
            x[j] = 1;
            Gemm.matmul(w, x, 1, out);
            for (int r = 0; r < rows; r++) {
                int bits = r * cols + j;
                float want = (bits & 0x7C00) == 0x7C00 ? 0f : Float.float16ToFloat((short) bits);
                assertThat(out[r]).as("f16 0x%04x", bits).isEqualTo(want);
            }
        }
    }

    @Test
    void f16Widening_keepsInfinityAndNaN() {
        MemorySegment seg = Arena.ofAuto().allocate(3L * 8 * 2, 8);
        for (int i = 0; i < 24; i++) seg.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, Float.floatToFloat16(0.5f));
        seg.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, 3, (short) 0x7C00); // +inf
        seg.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, 8 + 5, (short) 0xFC00); // -inf
        seg.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, 16, (short) 0x7E01); // NaN
        float[] out = new float[3];
        Gemm.matmul(new Matrix("special", DType.F16, 3, 8, seg, null), new float[]{1, 1, 1, 1, 1, 1, 1, 1}, 1, out);
        assertThat(out[0]).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(out[1]).isEqualTo(Float.NEGATIVE_INFINITY);
        assertThat(out[2]).isNaN();
    }

    @Test
    void int8Quantization_keepsEachWeightWithinHalfAStepOfItsBlockScale() {
        Matrix w = matrix(DType.F32, 9, 96, 3);
        Matrix q = w.quantizeInt8();
        assertThat(q.dtype()).isEqualTo(DType.I8);
        assertThat(q.bytes()).isEqualTo(9L * 96 + 4L * 9 * 96 / Matrix.Q_BLOCK);
        for (int r = 0; r < 9; r++) {
            for (int c = 0; c < 96; c++) {
                float scale = q.scales()[(r * 96 + c) / Matrix.Q_BLOCK];
                assertThat(Math.abs(q.get(r, c) - w.get(r, c))).isLessThanOrEqualTo(scale * 0.5f + 1e-7f);
            }
        }
    }

    @Test
    void int8Quantization_ofAnAllZeroBlockIsExactlyZero() {
        float[] v = new float[64];
        for (int i = 32; i < 64; i++) v[i] = i;
        Matrix q = Matrix.ofFloats("z", 1, 64, v).quantizeInt8();
        float[] out = new float[1];
        Gemm.matmul(q, randomFloats(64, 1), 1, out);
        assertThat(q.scales()[0]).isZero();
        for (int c = 0; c < 32; c++) assertThat(q.get(0, c)).isZero();
        assertThat(Float.isFinite(out[0])).isTrue();
    }

    static Stream<DType> dtypes() {
        return Stream.of(DTYPES);
    }

    static float[] randomFloats(int n, long seed) {
        Random r = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian();
        return v;
    }

    /** A random W in the given dtype, stored off-heap in little-endian like a mapped checkpoint. */
    static Matrix matrix(DType dtype, int rows, int cols, long seed) {
        float[] v = randomFloats(rows * cols, seed);
        if (dtype == DType.I8) return matrix(DType.F32, rows, cols, seed).quantizeInt8();
        MemorySegment seg = Arena.ofAuto().allocate((long) rows * cols * dtype.bytes(), 8);
        for (int i = 0; i < v.length; i++) {
            switch (dtype) {
                case F32 -> seg.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, v[i]);
                case BF16 -> seg.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, SafetensorsWriter.toBf16(v[i]));
                case F16 -> seg.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, Float.floatToFloat16(v[i]));
                default -> throw new IllegalArgumentException();
            }
        }
        return new Matrix("w", dtype, rows, cols, seg, null);
    }
}
