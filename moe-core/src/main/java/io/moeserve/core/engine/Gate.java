package io.moeserve.core.engine;

import io.moeserve.core.kernel.Gemm;
import io.moeserve.core.kernel.Ops;
import io.moeserve.core.model.ModelConfig;
import io.moeserve.core.tensor.Matrix;

/**
 * The router of a sparse MoE block: p = softmax(gate(h), dim=-1); w, idx = topk(p, k);
 * w = w / w.sum() when the config renormalises (Mixtral always, Qwen3/OLMoE per norm_topk_prob).
 */
final class Gate {
    private Gate() {
    }

    static Routing route(ModelConfig c, int layer, Matrix gate, float[] h, int n) {
        int e = c.numExperts(), k = c.topK();
        float[] p = new float[n * e];
        Gemm.matmul(gate, h, n, p);
        int[] idx = new int[n * k];
        float[] wts = new float[n * k];
        for (int t = 0; t < n; t++) {
            Ops.softmax(p, t * e, e);
            // top-k by repeated selection: k is small (2..8) and ties go to the lower expert id.
            long taken = 0;
            boolean[] used = e > 64 ? new boolean[e] : null;
            float sum = 0;
            for (int j = 0; j < k; j++) {
                int best = -1;
                for (int x = 0; x < e; x++) {
                    boolean isUsed = used != null ? used[x] : (taken & (1L << x)) != 0;
                    if (!isUsed && (best < 0 || p[t * e + x] > p[t * e + best])) best = x;
                }
                if (used != null) used[best] = true;
                else taken |= 1L << best;
                idx[t * k + j] = best;
                wts[t * k + j] = p[t * e + best];
                sum += p[t * e + best];
            }
            if (c.normTopKProb()) for (int j = 0; j < k; j++) wts[t * k + j] /= sum;
        }
        return new Routing(layer, n, c.hiddenSize(), h, k, idx, wts);
    }
}
