package io.moeserve.core.engine;

import io.moeserve.core.model.ModelConfig;

/**
 * Rotary position embedding in Hugging Face's half-split form:
 * {@code q*cos + rotate_half(q)*sin}, rotate_half(x) = cat(-x[h:], x[:h]).
 * cos/sin are tabulated once per position the way the reference computes them (float32
 * inv_freq = 1 / theta^(2i/d), angle = pos * inv_freq).
 */
public final class Rope {
    private final int half;
    private final float[] cos;
    private final float[] sin;

    public Rope(ModelConfig c) {
        int hd = c.headDim();
        half = hd / 2;
        int maxPos = c.maxPositions();
        cos = new float[maxPos * half];
        sin = new float[maxPos * half];
        float[] inv = new float[half];
        for (int i = 0; i < half; i++) inv[i] = (float) (1.0 / Math.pow(c.ropeTheta(), (float) (2 * i) / hd));
        for (int p = 0; p < maxPos; p++) {
            for (int i = 0; i < half; i++) {
                float angle = (float) p * inv[i];
                cos[p * half + i] = (float) Math.cos(angle);
                sin[p * half + i] = (float) Math.sin(angle);
            }
        }
    }

    /** Rotates heads vectors of one token at position pos, stored from offset off in x. */
    public void apply(float[] x, int off, int heads, int pos) {
        int t = pos * half;
        for (int h = 0; h < heads; h++) {
            int b = off + h * 2 * half;
            for (int i = 0; i < half; i++) {
                float x0 = x[b + i], x1 = x[b + i + half];
                float c = cos[t + i], s = sin[t + i];
                x[b + i] = x0 * c - x1 * s;
                x[b + i + half] = x1 * c + x0 * s;
            }
        }
    }
}
