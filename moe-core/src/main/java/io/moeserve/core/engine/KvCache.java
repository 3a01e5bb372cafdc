package io.moeserve.core.engine;

import io.moeserve.core.model.ModelConfig;

import java.util.Arrays;

/**
 * One sequence's keys and values, per layer, token-major: the vector of token t, kv-head h starts at
 * (t * numKvHeads + h) * headDim. Storage grows by doubling up to max_position_embeddings. Positions
 * written by a forward pass become visible ({@link #length()}) only when the whole pass commits, so a
 * pass that fails half-way leaves the cache as it was.
 */
public final class KvCache {
    private final ModelConfig config;
    private final float[][] keys;
    private final float[][] values;
    private int length;
    private int capacity;

    public KvCache(ModelConfig config) {
        this(config, 64);
    }

    public KvCache(ModelConfig config, int initialCapacity) {
        this.config = config;
        this.keys = new float[config.numLayers()][];
        this.values = new float[config.numLayers()][];
        this.capacity = Math.min(Math.max(16, initialCapacity), config.maxPositions());
        for (int l = 0; l < keys.length; l++) {
            keys[l] = new float[capacity * config.kvDim()];
            values[l] = new float[capacity * config.kvDim()];
        }
    }

    public int length() {
        return length;
    }

    public float[] keys(int layer) {
        return keys[layer];
    }

    public float[] values(int layer) {
        return values[layer];
    }

    /** Makes room for positions up to newLength (exclusive), or explains which limit is hit. */
    public void ensureCapacity(int newLength) {
        if (newLength > config.maxPositions()) {
            throw new ContextLengthException(newLength, config.maxPositions());
        }
        if (newLength <= capacity) return;
        int cap = Math.min(config.maxPositions(), Math.max(newLength, capacity * 2));
        for (int l = 0; l < keys.length; l++) {
            keys[l] = Arrays.copyOf(keys[l], cap * config.kvDim());
            values[l] = Arrays.copyOf(values[l], cap * config.kvDim());
        }
        capacity = cap;
    }

    void commit(int newLength) {
        length = newLength;
    }

    /** Forgets everything from position newLength on (e.g. to re-run a step). */
    public void truncate(int newLength) {
        if (newLength < 0 || newLength > length) throw new IllegalArgumentException("cannot truncate " + length + " to " + newLength);
        length = newLength;
    }

    /**
     * Copies tokens [from, from+count) of every layer out (for the shared prefix cache): k[l] and v[l]
     * receive count * kvDim floats each.
     */
    public void read(int from, int count, float[][] k, float[][] v) {
        if (from + count > length) throw new IllegalArgumentException("positions " + from + ".." + (from + count) + " not cached");
        int kv = config.kvDim();
        for (int l = 0; l < keys.length; l++) {
            System.arraycopy(keys[l], from * kv, k[l], 0, count * kv);
            System.arraycopy(values[l], from * kv, v[l], 0, count * kv);
        }
    }

    /** Appends count tokens of every layer at the end (a prefix fetched from the shared cache). */
    public void append(int count, float[][] k, float[][] v) {
        ensureCapacity(length + count);
        int kv = config.kvDim();
        for (int l = 0; l < keys.length; l++) {
            System.arraycopy(k[l], 0, keys[l], length * kv, count * kv);
            System.arraycopy(v[l], 0, values[l], length * kv, count * kv);
        }
        length += count;
    }

    public ModelConfig config() {
        return config;
    }
}
