package io.moeserve.core.engine;

/**
 * What a layer's gate decided for the n tokens of a step, and the hidden states the experts read:
 * token i goes to experts[i*k .. i*k+k) (descending weight) with weights[i*k ..]. This is the seam
 * where the router hands tokens to expert services.
 */
public record Routing(int layer, int n, int hiddenSize, float[] hidden, int k, int[] experts, float[] weights) {
    public int expert(int token, int slot) {
        return experts[token * k + slot];
    }

    public float weight(int token, int slot) {
        return weights[token * k + slot];
    }
}
