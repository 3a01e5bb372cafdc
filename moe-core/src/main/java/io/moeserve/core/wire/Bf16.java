package io.moeserve.core.wire;

/** float32 ↔ bfloat16 (the upper 16 bits of a float), rounding to nearest, ties to even, like PyTorch. */
public final class Bf16 {
    private Bf16() {
    }

    public static short fromFloat(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7fffffff) > 0x7f800000) return (short) ((bits >>> 16) | 0x0040); // NaN stays a (quiet) NaN
        int rounding = 0x7fff + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }

    public static float toFloat(short b) {
        return Float.intBitsToFloat((b & 0xffff) << 16);
    }
}
