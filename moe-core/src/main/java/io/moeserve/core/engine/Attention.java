package io.moeserve.core.engine;

import io.moeserve.core.kernel.Ops;
import io.moeserve.core.model.ModelConfig;

/**
 * Causal grouped-query attention of new tokens against a sequence's KV cache:
 * softmax(q k^T / sqrt(d) + causal mask) v, with query head h reading kv head h / (H / K)
 * ({@code repeat_interleave}). Keys and values of the new tokens must already be in the cache.
 */
final class Attention {
    private Attention() {
    }

    /**
     * q: rows [row0, row0 + m) of the batch, each numHeads * headDim; the tokens sit at positions
     * [pos0, pos0 + m) of cache layer l. Writes the attention output (numHeads * headDim per row) to out.
     */
    static void attend(ModelConfig c, KvCache cache, int layer, float[] q, int row0, int m, int pos0, float[] out) {
        int hd = c.headDim(), heads = c.numHeads(), group = heads / c.numKvHeads(), kvDim = c.kvDim();
        float scale = (float) (1.0 / Math.sqrt(hd));
        float[] keys = cache.keys(layer), values = cache.values(layer);
        float[] scores = new float[pos0 + m];
        for (int t = 0; t < m; t++) {
            int pos = pos0 + t;
            int first = c.slidingWindow() > 0 ? Math.max(0, pos - c.slidingWindow() + 1) : 0;
            int n = pos + 1 - first;
            int qRow = (row0 + t) * heads * hd;
            for (int h = 0; h < heads; h++) {
                int qo = qRow + h * hd, kvh = h / group;
                // scores = q k^T / sqrt(d) over the visible positions
                Ops.scaledDots(q, qo, keys, first * kvDim + kvh * hd, kvDim, n, hd, scale, scores);
                Ops.softmax(scores, 0, n);
                // out = softmax(scores) v
                Ops.weightedSum(scores, n, values, first * kvDim + kvh * hd, kvDim, out, qo, hd);
            }
        }
    }
}
