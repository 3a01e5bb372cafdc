package io.moeserve.core.engine;

import io.moeserve.core.kernel.Gemm;
import io.moeserve.core.kernel.Ops;
import io.moeserve.core.kernel.Parallel;
import io.moeserve.core.model.Architecture;
import io.moeserve.core.model.ModelConfig;

import java.util.ArrayList;
import java.util.List;

/**
 * One forward step of a batch of sequences, split where the distributed path cuts it: for each layer
 * {@link #attend} runs the dense part up to the gate and returns the {@link Routing}; whoever holds the
 * experts computes it; {@link #combine} adds their output to the residual stream. {@link #logits}
 * finishes with the final norm and LM head and commits the new tokens to the KV caches.
 * All sequences' tokens are rows of one activation matrix, so every projection is one matrix product.
 */
public final class ForwardPass {
    private final ModelConfig c;
    private final DenseWeights w;
    private final Rope rope;
    private final List<SeqInput> inputs;
    private final int n;
    private final int[] rowStart;
    private final float[] x;
    private final List<Routing> routings = new ArrayList<>();
    private int nextLayer;

    ForwardPass(DenseWeights w, Rope rope, List<SeqInput> inputs) {
        this.c = w.config();
        this.w = w;
        this.rope = rope;
        this.inputs = List.copyOf(inputs);
        rowStart = new int[inputs.size() + 1];
        for (int s = 0; s < inputs.size(); s++) {
            SeqInput in = inputs.get(s);
            in.cache().ensureCapacity(in.cache().length() + in.tokens().length);
            rowStart[s + 1] = rowStart[s] + in.tokens().length;
        }
        n = rowStart[inputs.size()];
        int d = c.hiddenSize();
        x = new float[n * d];
        // x = embed_tokens(ids)
        for (int s = 0; s < inputs.size(); s++) {
            int[] toks = inputs.get(s).tokens();
            for (int t = 0; t < toks.length; t++) {
                int id = toks[t];
                if (id < 0 || id >= c.vocabSize()) {
                    throw new IllegalArgumentException("token id " + id + " is outside the vocabulary [0, " + c.vocabSize() + ")");
                }
                int row = rowStart[s] + t;
                for (int i = 0; i < d; i++) x[row * d + i] = w.embed().get(id, i);
            }
        }
    }

    public int rows() {
        return n;
    }

    /** The dense half of layer l: attention (with the residual) and the gate. */
    public Routing attend(int layer) {
        if (layer != nextLayer) throw new IllegalStateException("layer " + layer + " out of order, expected " + nextLayer);
        DenseWeights.Layer lw = w.layers().get(layer);
        int d = c.hiddenSize(), qd = c.qDim(), kvd = c.kvDim(), hd = c.headDim();
        float[] h = new float[n * d];
        // h = input_layernorm(x)
        for (int r = 0; r < n; r++) Ops.rmsNorm(x, r * d, lw.inputNorm(), c.rmsNormEps(), h, r * d, d);
        float[] q = new float[n * qd], k = new float[n * kvd], v = new float[n * kvd];
        Gemm.matmul(lw.wq(), h, n, q);
        Gemm.matmul(lw.wk(), h, n, k);
        Gemm.matmul(lw.wv(), h, n, v);
        for (int s = 0; s < inputs.size(); s++) {
            KvCache cache = inputs.get(s).cache();
            int pos0 = cache.length();
            for (int r = rowStart[s]; r < rowStart[s + 1]; r++) {
                int pos = pos0 + r - rowStart[s];
                qkNorm(lw, q, r * qd, c.numHeads(), k, r * kvd, c.numKvHeads());
                if (c.clipQkv() > 0) {
                    // OLMoE clamps after its q/k norm (HF: q_norm(q_proj(x)).clamp_), before RoPE.
                    clamp(q, r * qd, qd, c.clipQkv());
                    clamp(k, r * kvd, kvd, c.clipQkv());
                    clamp(v, r * kvd, kvd, c.clipQkv());
                }
                // q = q*cos + rotate_half(q)*sin; same for k
                rope.apply(q, r * qd, c.numHeads(), pos);
                rope.apply(k, r * kvd, c.numKvHeads(), pos);
                System.arraycopy(k, r * kvd, cache.keys(layer), pos * kvd, kvd);
                System.arraycopy(v, r * kvd, cache.values(layer), pos * kvd, kvd);
            }
        }
        float[] att = new float[n * qd];
        // Work units of up to 8 query rows of one sequence, spread over the cores: a decode step
        // has one row per sequence, a prefill chunk many rows of one sequence.
        int[][] units = attentionUnits();
        Parallel.forRange(units.length, 1, (from, to) -> {
            for (int u = from; u < to; u++) {
                int s = units[u][0], r0 = units[u][1], r1 = units[u][2];
                KvCache cache = inputs.get(s).cache();
                Attention.attend(c, cache, layer, q, r0, r1 - r0, cache.length() + r0 - rowStart[s], att);
            }
        });
        // x = x + o_proj(attn)
        float[] o = new float[n * d];
        Gemm.matmul(lw.wo(), att, n, o);
        Ops.add(o, x, n * d);
        // h2 = post_attention_layernorm(x); router logits = gate(h2)
        float[] h2 = new float[n * d];
        for (int r = 0; r < n; r++) Ops.rmsNorm(x, r * d, lw.postNorm(), c.rmsNormEps(), h2, r * d, d);
        Routing routing = Gate.route(c, layer, lw.gate(), h2, n);
        routings.add(routing);
        return routing;
    }

    private void qkNorm(DenseWeights.Layer lw, float[] q, int qo, int heads, float[] k, int ko, int kvHeads) {
        Architecture.QkNorm mode = c.architecture().qkNorm();
        int hd = c.headDim();
        if (mode == Architecture.QkNorm.PER_HEAD) {
            for (int h = 0; h < heads; h++) Ops.rmsNorm(q, qo + h * hd, lw.qNorm(), c.rmsNormEps(), q, qo + h * hd, hd);
            for (int h = 0; h < kvHeads; h++) Ops.rmsNorm(k, ko + h * hd, lw.kNorm(), c.rmsNormEps(), k, ko + h * hd, hd);
        } else if (mode == Architecture.QkNorm.WHOLE) {
            Ops.rmsNorm(q, qo, lw.qNorm(), c.rmsNormEps(), q, qo, heads * hd);
            Ops.rmsNorm(k, ko, lw.kNorm(), c.rmsNormEps(), k, ko, kvHeads * hd);
        }
    }

    private static void clamp(float[] a, int from, int n, float limit) {
        for (int i = from; i < from + n; i++) a[i] = Math.max(-limit, Math.min(limit, a[i]));
    }

    private int[][] attentionUnits() {
        List<int[]> units = new ArrayList<>();
        for (int s = 0; s < inputs.size(); s++) {
            for (int r = rowStart[s]; r < rowStart[s + 1]; r += 8) units.add(new int[]{s, r, Math.min(r + 8, rowStart[s + 1])});
        }
        return units.toArray(new int[0][]);
    }

    /** The sparse half's result for layer l: x = x + moe(h2). */
    public void combine(int layer, float[] moeOut) {
        if (layer != nextLayer) throw new IllegalStateException("combine of layer " + layer + ", expected " + nextLayer);
        if (moeOut.length != n * c.hiddenSize()) {
            throw new IllegalArgumentException("expert output has " + moeOut.length + " floats, expected " + n * c.hiddenSize());
        }
        Ops.add(moeOut, x, n * c.hiddenSize());
        nextLayer++;
    }

    /**
     * lm_head(norm(x)) for each sequence's last row (or all its rows), then commits the new tokens to
     * the caches. Element s of the result is vocab floats per requested row.
     */
    public float[][] logits() {
        if (nextLayer != c.numLayers()) throw new IllegalStateException("logits before layer " + nextLayer + " ran");
        int d = c.hiddenSize(), vocab = c.vocabSize();
        float[][] result = new float[inputs.size()][];
        int rowsOut = 0;
        for (int s = 0; s < inputs.size(); s++) rowsOut += inputs.get(s).allLogits() ? rowStart[s + 1] - rowStart[s] : 1;
        float[] h = new float[rowsOut * d];
        int r = 0;
        for (int s = 0; s < inputs.size(); s++) {
            int from = inputs.get(s).allLogits() ? rowStart[s] : rowStart[s + 1] - 1;
            for (int row = from; row < rowStart[s + 1]; row++, r++) Ops.rmsNorm(x, row * d, w.finalNorm(), c.rmsNormEps(), h, r * d, d);
        }
        float[] all = new float[rowsOut * vocab];
        Gemm.matmul(w.lmHead(), h, rowsOut, all);
        r = 0;
        for (int s = 0; s < inputs.size(); s++) {
            int m = inputs.get(s).allLogits() ? rowStart[s + 1] - rowStart[s] : 1;
            result[s] = java.util.Arrays.copyOfRange(all, r * vocab, (r + m) * vocab);
            r += m;
            KvCache cache = inputs.get(s).cache();
            cache.commit(cache.length() + inputs.get(s).tokens().length);
        }
        return result;
    }

    /** The gate decisions of the layers run so far (for `moe logits` and routing statistics). */
    public List<Routing> routings() {
        return routings;
    }

    public List<SeqInput> inputs() {
        return inputs;
    }

    /** The first row of sequence s within this step's token rows. */
    public int rowStart(int s) {
        return rowStart[s];
    }
}
