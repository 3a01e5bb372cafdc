package io.moeserve.core.engine;

import io.moeserve.core.checkpoint.Checkpoint;
import io.moeserve.core.kernel.Gemm;
import io.moeserve.core.kernel.Ops;
import io.moeserve.core.model.ModelConfig;

import java.util.Arrays;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiPredicate;

/**
 * Experts held by this process, computed the way HF's sparse MoE block does: for each expert, gather
 * the tokens that chose it, run the SwiGLU FFN on them as one matrix product, and add the result times
 * the routing weight to those tokens' outputs ({@code out.index_add_(0, tok, expert(x[tok]) * w)}).
 * Experts are mapped lazily from the checkpoint, so memory follows the experts actually held.
 */
public final class LocalExperts implements ExpertBackend {
    private final ModelConfig config;
    private final Checkpoint checkpoint;
    private final boolean int8;
    private final Map<Integer, ExpertWeights> held = new ConcurrentHashMap<>();

    public LocalExperts(Checkpoint checkpoint, boolean int8) {
        this.config = checkpoint.config();
        this.checkpoint = checkpoint;
        this.int8 = int8;
    }

    /** All experts of the model (the monolithic engine). */
    public static LocalExperts all(Checkpoint checkpoint, boolean int8) {
        LocalExperts e = new LocalExperts(checkpoint, int8);
        e.load((l, x) -> true);
        return e;
    }

    /** Loads (maps, and quantizes if int8) the experts the predicate selects; returns how many. */
    public int load(BiPredicate<Integer, Integer> which) {
        int n = 0;
        for (int l = 0; l < config.numLayers(); l++) {
            for (int e = 0; e < config.numExperts(); e++) {
                if (which.test(l, e) && !holds(l, e)) {
                    ensure(l, e);
                    n++;
                }
            }
        }
        return n;
    }

    /** Maps one expert if it is not held yet (failover: the router computing a lost expert itself). */
    public ExpertWeights ensure(int layer, int expert) {
        return held.computeIfAbsent(key(layer, expert), k -> {
            ExpertWeights w = ExpertWeights.load(checkpoint, layer, expert);
            return int8 ? w.quantizeInt8() : w;
        });
    }

    public void unload(int layer, int expert) {
        held.remove(key(layer, expert));
    }

    public boolean holds(int layer, int expert) {
        return held.containsKey(key(layer, expert));
    }

    public Collection<ExpertWeights> held() {
        return held.values();
    }

    public long heldBytes() {
        return held.values().stream().mapToLong(ExpertWeights::bytes).sum();
    }

    private int key(int layer, int expert) {
        return layer * config.numExperts() + expert;
    }

    @Override
    public float[] compute(Routing r) {
        return compute(r.layer(), r.hidden(), r.n(), r.k(), r.experts(), r.weights());
    }

    /**
     * out[i] = sum over slots j with experts[i*k+j] >= 0 of weights[i*k+j] * FFN_e(hidden[i]).
     * A slot with expert -1 belongs to another instance and is skipped.
     */
    public float[] compute(int layer, float[] hidden, int n, int k, int[] experts, float[] weights) {
        int d = config.hiddenSize();
        float[] out = new float[n * d];
        // Token lists per expert, in ascending expert order like the reference loop.
        int[] counts = new int[config.numExperts()];
        for (int i = 0; i < n * k; i++) if (experts[i] >= 0) counts[experts[i]]++;
        int[][] slots = new int[config.numExperts()][];
        for (int e = 0; e < counts.length; e++) if (counts[e] > 0) slots[e] = new int[counts[e]];
        Arrays.fill(counts, 0);
        for (int i = 0; i < n * k; i++) if (experts[i] >= 0) slots[experts[i]][counts[experts[i]]++] = i;
        for (int e = 0; e < slots.length; e++) {
            int[] s = slots[e];
            if (s == null) continue;
            ExpertWeights w = held.get(key(layer, e));
            if (w == null) throw new ExpertNotHeldException(layer, e);
            int m = s.length;
            float[] x = new float[m * d];
            for (int j = 0; j < m; j++) System.arraycopy(hidden, (s[j] / k) * d, x, j * d, d);
            float[] y = ffn(w, x, m);
            for (int j = 0; j < m; j++) Ops.addScaled(weights[s[j]], y, j * d, out, (s[j] / k) * d, d);
        }
        return out;
    }

    /** SwiGLU: w2(silu(w1(x)) * w3(x)) for m packed rows of x. */
    public static float[] ffn(ExpertWeights w, float[] x, int m) {
        int f = w.w1().rows(), d = w.w2().rows();
        float[] g = new float[m * f], u = new float[m * f], y = new float[m * d];
        Gemm.matmul(w.w1(), x, m, g);
        Gemm.matmul(w.w3(), x, m, u);
        Ops.siluMul(g, u, m * f);
        Gemm.matmul(w.w2(), g, m, y);
        return y;
    }

    public Set<Integer> heldKeys() {
        return held.keySet();
    }
}
