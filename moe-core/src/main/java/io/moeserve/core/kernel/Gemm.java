package io.moeserve.core.kernel;

import io.moeserve.core.checkpoint.DType;
import io.moeserve.core.tensor.Matrix;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * y = x W^T ({@code F.linear}) for a batch of n rows of x, with W read in its stored dtype.
 * BF16 (shift left 16) and F16 (exponent rebias) are widened to F32 on the fly, so the weights are
 * never copied whole: a matrix-vector product (decode) widens in registers; a batch widens two rows
 * of W at a time into a small per-thread panel and cuts x into tiles of 4 rows, so each weight
 * vector feeds 4 FMAs and each x vector 2 - prefill runs as a matrix-matrix product.
 * Rows of W are split over the cores. {@link ScalarGemm} is the reference it is tested against.
 */
public final class Gemm {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final int L = F.length();
    static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize() / 2));
    static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(F.vectorBitSize() / 4));
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ThreadLocal<float[]> PANEL = ThreadLocal.withInitial(() -> new float[0]);
    private static final int F32 = 0, BF16 = 1, F16 = 2;
    private static final float F16_RESCALE = 0x1p112f; // 2^(127 - 15): f16 exponent bias -> f32 bias

    private Gemm() {
    }

    /** out[t, o] = sum_i x[t, i] * W[o, i] for t in [0, n); x is n x cols, out is n x rows, both row-major. */
    public static void matmul(Matrix w, float[] x, int n, float[] out) {
        if (w.cols() % L != 0) {
            // Widths that are not a multiple of the vector length never occur in real checkpoints.
            ScalarGemm.matmul(w, x, n, out);
            return;
        }
        // Chunks of at least ~16K multiply-adds: enough to amortise the hand-off, small enough to balance.
        int grain = Math.max(2, 16384 / Math.max(1, w.cols() * n)) & ~1;
        Parallel.forRange(w.rows(), grain, (from, to) -> rows(w, x, n, out, from, to));
    }

    static void rows(Matrix w, float[] x, int n, float[] out, int r0, int r1) {
        if (w.dtype() == DType.I8) {
            int8Rows(w, x, n, out, r0, r1);
            return;
        }
        int kind = switch (w.dtype()) {
            case BF16 -> BF16;
            case F16 -> F16;
            default -> F32;
        };
        MemorySegment seg = w.data();
        int cols = w.cols(), rows = w.rows();
        int r = r0;
        // With several rows of x, widen each pair of weight rows to f32 once and reuse it for every
        // tile of 4 rows of x instead of re-widening it per tile (the same values, so the same bits).
        boolean widen = n >= 4;
        float[] panel = widen ? PANEL.get() : null;
        if (widen && panel.length < 2 * cols) {
            panel = new float[2 * cols];
            PANEL.set(panel);
        }
        for (; r + 2 <= r1; r += 2) {
            int t = 0;
            if (widen) {
                long w0 = (long) r * cols;
                for (int i = 0; i < 2 * cols; i += L) load(kind, seg, w0 + i).intoArray(panel, i);
                for (; t + 4 <= n; t += 4) tile4x2(panel, cols, rows, x, out, t, r);
            }
            for (; t < n; t++) tile1x2(kind, seg, cols, rows, x, out, t, r);
        }
        for (; r < r1; r++) {
            for (int t = 0; t < n; t++) out[t * rows + r] = dot(kind, seg, (long) r * cols, x, t * cols, cols);
        }
    }

    static FloatVector load(int kind, MemorySegment seg, long element) {
        if (kind == F16) {
            // f16 -> f32 exactly, with integer lanes: the 15 magnitude bits shifted into f32 position
            // read as a float 2^112 too small (normals and subnormals alike); rescale, then put the
            // sign back and turn exponent 31 (inf/NaN) into 255.
            IntVector h = (IntVector) ShortVector.fromMemorySegment(S, seg, element * 2, LE)
                    .convertShape(VectorOperators.S2I, I, 0);
            FloatVector mag = h.and(0x7FFF).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(F16_RESCALE);
            IntVector bits = mag.reinterpretAsInts().or(h.and(0x8000).lanewise(VectorOperators.LSHL, 16));
            bits = bits.lanewise(VectorOperators.OR, 0x7F800000, h.and(0x7C00).eq(0x7C00));
            return bits.reinterpretAsFloats();
        }
        if (kind == BF16) {
            // bf16 -> f32: the 16 bits are the high half of a float32.
            ShortVector s = ShortVector.fromMemorySegment(S, seg, element * 2, LE);
            IntVector i = (IntVector) s.convertShape(VectorOperators.S2I, I, 0);
            return i.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
        }
        return FloatVector.fromMemorySegment(F, seg, element * 4, LE);
    }

    /** Output rows r, r+1 for x rows t..t+3, the two weight rows widened to f32 in panel. */
    private static void tile4x2(float[] panel, int cols, int rows, float[] x, float[] out, int t, int r) {
        int x0 = t * cols, x1 = x0 + cols, x2 = x1 + cols, x3 = x2 + cols;
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
        for (int i = 0; i < cols; i += L) {
            FloatVector v0 = FloatVector.fromArray(F, panel, i), v1 = FloatVector.fromArray(F, panel, cols + i);
            FloatVector y = FloatVector.fromArray(F, x, x0 + i);
            a00 = y.fma(v0, a00);
            a01 = y.fma(v1, a01);
            y = FloatVector.fromArray(F, x, x1 + i);
            a10 = y.fma(v0, a10);
            a11 = y.fma(v1, a11);
            y = FloatVector.fromArray(F, x, x2 + i);
            a20 = y.fma(v0, a20);
            a21 = y.fma(v1, a21);
            y = FloatVector.fromArray(F, x, x3 + i);
            a30 = y.fma(v0, a30);
            a31 = y.fma(v1, a31);
        }
        out[t * rows + r] = Ops.sum(a00);
        out[t * rows + r + 1] = Ops.sum(a01);
        out[(t + 1) * rows + r] = Ops.sum(a10);
        out[(t + 1) * rows + r + 1] = Ops.sum(a11);
        out[(t + 2) * rows + r] = Ops.sum(a20);
        out[(t + 2) * rows + r + 1] = Ops.sum(a21);
        out[(t + 3) * rows + r] = Ops.sum(a30);
        out[(t + 3) * rows + r + 1] = Ops.sum(a31);
    }

    private static void tile1x2(int kind, MemorySegment seg, int cols, int rows, float[] x, float[] out, int t, int r) {
        // One accumulator per output, summed in the same order as tile4x2: a row's result must not
        // depend on which tile it fell in, or the distributed path (other batch shapes per expert)
        // would drift from the monolithic engine by rounding.
        long w0 = (long) r * cols, w1 = w0 + cols;
        int x0 = t * cols;
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        for (int i = 0; i < cols; i += L) {
            FloatVector y = FloatVector.fromArray(F, x, x0 + i);
            a0 = y.fma(load(kind, seg, w0 + i), a0);
            a1 = y.fma(load(kind, seg, w1 + i), a1);
        }
        out[t * rows + r] = Ops.sum(a0);
        out[t * rows + r + 1] = Ops.sum(a1);
    }

    private static float dot(int kind, MemorySegment seg, long w0, float[] x, int x0, int cols) {
        FloatVector a = FloatVector.zero(F);
        for (int i = 0; i < cols; i += L) a = FloatVector.fromArray(F, x, x0 + i).fma(load(kind, seg, w0 + i), a);
        return Ops.sum(a);
    }

    /** int8 rows: sum over blocks of scale_b * (q_b . x_b), 8 lanes of bytes widened to floats. */
    private static void int8Rows(Matrix w, float[] x, int n, float[] out, int r0, int r1) {
        MemorySegment seg = w.data();
        float[] scales = w.scales();
        int cols = w.cols(), rows = w.rows(), blocks = cols / Matrix.Q_BLOCK;
        for (int r = r0; r < r1; r++) {
            for (int t = 0; t < n; t++) {
                FloatVector acc = FloatVector.zero(F);
                int x0 = t * cols;
                for (int b = 0; b < blocks; b++) {
                    FloatVector blockAcc = FloatVector.zero(F);
                    long base = (long) r * cols + (long) b * Matrix.Q_BLOCK;
                    for (int j = 0; j < Matrix.Q_BLOCK; j += L) {
                        FloatVector q = (FloatVector) ByteVector.fromMemorySegment(B, seg, base + j, LE)
                                .convertShape(VectorOperators.B2F, F, 0);
                        blockAcc = FloatVector.fromArray(F, x, x0 + b * Matrix.Q_BLOCK + j).fma(q, blockAcc);
                    }
                    acc = blockAcc.fma(FloatVector.broadcast(F, scales[r * blocks + b]), acc);
                }
                out[t * rows + r] = Ops.sum(acc);
            }
        }
    }
}
