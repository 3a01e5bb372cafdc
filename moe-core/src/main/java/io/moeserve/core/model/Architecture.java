package io.moeserve.core.model;

import java.util.Arrays;

/**
 * The checkpoint families moeserve runs. They share Mixtral's shape (GQA attention, softmax top-k
 * gate, SwiGLU experts) and differ in weight names, q/k normalisation and gate renormalisation.
 */
public enum Architecture {
    /** Mixtral: no q/k norm; top-k weights always renormalised. */
    MIXTRAL("MixtralForCausalLM", "block_sparse_moe", "w1", "w2", "w3", QkNorm.NONE),
    /** Qwen3-MoE: RMSNorm over each head of q and k before RoPE; {@code norm_topk_prob} decides renormalisation. */
    QWEN3_MOE("Qwen3MoeForCausalLM", "mlp", "gate_proj", "down_proj", "up_proj", QkNorm.PER_HEAD),
    /** OLMoE: RMSNorm over the whole q and k projections; {@code norm_topk_prob} (default false). */
    OLMOE("OlmoeForCausalLM", "mlp", "gate_proj", "down_proj", "up_proj", QkNorm.WHOLE);

    /** Where the q/k RMSNorm applies, if the architecture has one. */
    public enum QkNorm { NONE, PER_HEAD, WHOLE }

    private final String hfName;
    private final String moeModule;
    final String w1, w2, w3;
    private final QkNorm qkNorm;

    Architecture(String hfName, String moeModule, String w1, String w2, String w3, QkNorm qkNorm) {
        this.hfName = hfName;
        this.moeModule = moeModule;
        this.w1 = w1;
        this.w2 = w2;
        this.w3 = w3;
        this.qkNorm = qkNorm;
    }

    public String hfName() {
        return hfName;
    }

    public QkNorm qkNorm() {
        return qkNorm;
    }

    public static Architecture ofHfName(String name) {
        for (Architecture a : values()) {
            if (a.hfName.equals(name)) return a;
        }
        throw new IllegalArgumentException("unsupported architecture " + name + "; moeserve runs "
                + Arrays.stream(values()).map(Architecture::hfName).toList());
    }

    // Weight names, in one place per architecture.
    public String gate(int layer) {
        return "model.layers." + layer + "." + moeModule + ".gate.weight";
    }

    /** w1 = gate projection, w3 = up projection, w2 = down projection (Mixtral's names). */
    public String expert(int layer, int expert, String which) {
        String n = switch (which) {
            case "w1" -> w1;
            case "w2" -> w2;
            case "w3" -> w3;
            default -> throw new IllegalArgumentException(which);
        };
        return "model.layers." + layer + "." + moeModule + ".experts." + expert + "." + n + ".weight";
    }
}
