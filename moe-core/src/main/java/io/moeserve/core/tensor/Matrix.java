package io.moeserve.core.tensor;

import io.moeserve.core.checkpoint.DType;
import io.moeserve.core.checkpoint.TensorRef;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A weight matrix W of shape [rows, cols] in PyTorch's {@code nn.Linear} layout: y = x W^T, so row o
 * holds the input weights of output o. The data stays where it was mapped (F32/BF16/F16), or, for
 * int8, is quantized per block of {@link #Q_BLOCK} columns with one float scale each.
 */
public record Matrix(String name, DType dtype, int rows, int cols, MemorySegment data, float[] scales) {
    public static final int Q_BLOCK = 32;

    public static Matrix of(TensorRef t) {
        if (t.shape().length != 2) throw new IllegalArgumentException(t.name() + " is not a matrix");
        return new Matrix(t.name(), t.dtype(), Math.toIntExact(t.shape()[0]), Math.toIntExact(t.shape()[1]), t.data(), null);
    }

    /** A float matrix on the heap (tests, quantization reference). */
    public static Matrix ofFloats(String name, int rows, int cols, float[] values) {
        return new Matrix(name, DType.F32, rows, cols, MemorySegment.ofArray(values), null);
    }

    public float get(int r, int c) {
        long i = (long) r * cols + c;
        return switch (dtype) {
            case F32 -> data.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i);
            case BF16 -> Float.intBitsToFloat((data.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i) & 0xFFFF) << 16);
            case F16 -> Float.float16ToFloat(data.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i));
            case I8 -> data.get(ValueLayout.JAVA_BYTE, i) * scales[(int) (i / Q_BLOCK)];
        };
    }

    public long bytes() {
        return (long) rows * cols * dtype.bytes() + (scales == null ? 0 : 4L * scales.length);
    }

    /**
     * Symmetric int8 quantization with one scale per block of 32 columns: q = round(w / s), s = max|w| / 127.
     * Halves BF16 expert memory; the logit error it causes is measured by the engine tests.
     */
    public Matrix quantizeInt8() {
        if (cols % Q_BLOCK != 0) throw new IllegalArgumentException(name + ": cols " + cols + " not a multiple of " + Q_BLOCK);
        long n = (long) rows * cols;
        byte[] q = new byte[Math.toIntExact(n)];
        float[] s = new float[Math.toIntExact(n / Q_BLOCK)];
        for (int b = 0; b < s.length; b++) {
            float max = 0;
            for (int j = 0; j < Q_BLOCK; j++) max = Math.max(max, Math.abs(getFlat((long) b * Q_BLOCK + j)));
            float scale = max / 127f;
            s[b] = scale;
            for (int j = 0; j < Q_BLOCK; j++) {
                q[b * Q_BLOCK + j] = scale == 0 ? 0 : (byte) Math.round(getFlat((long) b * Q_BLOCK + j) / scale);
            }
        }
        // The quantized copy replaces the mapped weights: drop their pages from this process's resident
        // memory (they stay in the page cache and fault back in if anything reads them again).
        if (data.isMapped()) data.unload();
        return new Matrix(name, DType.I8, rows, cols, MemorySegment.ofArray(q), s);
    }

    private float getFlat(long i) {
        return get((int) (i / cols), (int) (i % cols));
    }
}
