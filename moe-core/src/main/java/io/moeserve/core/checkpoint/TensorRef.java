package io.moeserve.core.checkpoint;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/** One tensor of a checkpoint: its bytes stay in the memory-mapped file, never copied. */
public record TensorRef(String name, String file, DType dtype, long[] shape, MemorySegment data) {

    public long elements() {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    /** Checks the shape, with a message that names the tensor, its file and both shapes. */
    public TensorRef expectShape(long... expected) {
        if (!Arrays.equals(shape, expected)) {
            throw new CheckpointException("tensor " + name + " in " + file + " has shape " + Arrays.toString(shape)
                    + ", expected " + Arrays.toString(expected) + " from config.json");
        }
        return this;
    }

    /** Element i as a float, whatever the dtype (slow path: loading norms and tests). */
    public float getFloat(long i) {
        return switch (dtype) {
            case F32 -> data.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED, i);
            case BF16 -> Float.intBitsToFloat(
                    (data.getAtIndex(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, i) & 0xFFFF) << 16);
            case F16 -> Float.float16ToFloat(data.getAtIndex(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, i));
            case I8 -> data.get(java.lang.foreign.ValueLayout.JAVA_BYTE, i);
        };
    }

    /** A float copy, for the small vectors (norm weights) where a copy is cheaper than decoding each use. */
    public float[] toFloatArray() {
        float[] out = new float[Math.toIntExact(elements())];
        for (int i = 0; i < out.length; i++) out[i] = getFloat(i);
        return out;
    }
}
