package io.moeserve.core.engine;

import io.moeserve.core.checkpoint.Checkpoint;
import io.moeserve.core.checkpoint.TensorRef;
import io.moeserve.core.model.Architecture;
import io.moeserve.core.model.ModelConfig;
import io.moeserve.core.tensor.Matrix;

import java.util.ArrayList;
import java.util.List;

/**
 * The dense part of the model, everything but the experts: embeddings, attention, norms, gates and
 * the LM head. The router loads only this. Matrices stay mapped; only the small norm vectors are
 * copied to floats. Every shape is checked against config.json before the first token.
 */
public record DenseWeights(ModelConfig config, Matrix embed, List<Layer> layers, float[] finalNorm, Matrix lmHead) {

    /** One decoder layer's dense weights; qNorm/kNorm are null for architectures without them. */
    public record Layer(float[] inputNorm, Matrix wq, Matrix wk, Matrix wv, Matrix wo,
                        float[] qNorm, float[] kNorm, float[] postNorm, Matrix gate) {
    }

    public static DenseWeights load(Checkpoint ckpt) {
        ModelConfig c = ckpt.config();
        int d = c.hiddenSize();
        Matrix embed = Matrix.of(ckpt.tensor("model.embed_tokens.weight").expectShape(c.vocabSize(), d));
        List<Layer> layers = new ArrayList<>();
        for (int l = 0; l < c.numLayers(); l++) {
            String p = "model.layers." + l + ".";
            float[] qn = null, kn = null;
            switch (c.architecture().qkNorm()) {
                case PER_HEAD -> {
                    qn = ckpt.tensor(p + "self_attn.q_norm.weight").expectShape(c.headDim()).toFloatArray();
                    kn = ckpt.tensor(p + "self_attn.k_norm.weight").expectShape(c.headDim()).toFloatArray();
                }
                case WHOLE -> {
                    qn = ckpt.tensor(p + "self_attn.q_norm.weight").expectShape(c.qDim()).toFloatArray();
                    kn = ckpt.tensor(p + "self_attn.k_norm.weight").expectShape(c.kvDim()).toFloatArray();
                }
                case NONE -> { }
            }
            layers.add(new Layer(
                    vector(ckpt, p + "input_layernorm.weight", d),
                    Matrix.of(ckpt.tensor(p + "self_attn.q_proj.weight").expectShape(c.qDim(), d)),
                    Matrix.of(ckpt.tensor(p + "self_attn.k_proj.weight").expectShape(c.kvDim(), d)),
                    Matrix.of(ckpt.tensor(p + "self_attn.v_proj.weight").expectShape(c.kvDim(), d)),
                    Matrix.of(ckpt.tensor(p + "self_attn.o_proj.weight").expectShape(d, c.qDim())),
                    qn, kn,
                    vector(ckpt, p + "post_attention_layernorm.weight", d),
                    Matrix.of(ckpt.tensor(c.architecture().gate(l)).expectShape(c.numExperts(), d))));
        }
        float[] norm = vector(ckpt, "model.norm.weight", d);
        Matrix head = c.tieWordEmbeddings() && !ckpt.has("lm_head.weight")
                ? embed
                : Matrix.of(ckpt.tensor("lm_head.weight").expectShape(c.vocabSize(), d));
        return new DenseWeights(c, embed, List.copyOf(layers), norm, head);
    }

    private static float[] vector(Checkpoint ckpt, String name, int n) {
        TensorRef t = ckpt.tensor(name).expectShape(n);
        return t.toFloatArray();
    }

    static String archName(Architecture a) {
        return a.hfName();
    }
}
