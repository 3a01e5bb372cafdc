package io.moeserve.core.model;

import java.util.Arrays;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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

    private static final Pattern LAYER = Pattern.compile("model\\.layers\\.(\\d+)\\.(.+)");
    private static final Pattern EXPERT = Pattern.compile("experts\\.(\\d+)\\.(\\w+)\\.weight");
    private static final Set<String> LAYER_TENSORS = Set.of("input_layernorm.weight", "post_attention_layernorm.weight",
            "self_attn.q_proj.weight", "self_attn.k_proj.weight", "self_attn.v_proj.weight", "self_attn.o_proj.weight",
            // a buffer some exporters save; the engine derives it from rope_theta
            "self_attn.rotary_emb.inv_freq");

    /**
     * Whether the engine reads this checkpoint tensor (or may ignore it because it is derived). A tensor
     * outside this set (a bias, a shared expert, a layer or expert beyond config.json) means the
     * checkpoint holds math moeserve would silently skip.
     */
    public boolean understands(String tensor, int numLayers, int numExperts) {
        if (tensor.equals("model.embed_tokens.weight") || tensor.equals("model.norm.weight") || tensor.equals("lm_head.weight")
                || tensor.equals("model.rotary_emb.inv_freq")) {
            return true;
        }
        Matcher m = LAYER.matcher(tensor);
        if (!m.matches() || !below(m.group(1), numLayers)) return false;
        String rest = m.group(2);
        if (LAYER_TENSORS.contains(rest)) return true;
        if (qkNorm != QkNorm.NONE && (rest.equals("self_attn.q_norm.weight") || rest.equals("self_attn.k_norm.weight"))) {
            return true;
        }
        if (!rest.startsWith(moeModule + ".")) return false;
        rest = rest.substring(moeModule.length() + 1);
        if (rest.equals("gate.weight")) return true;
        Matcher e = EXPERT.matcher(rest);
        return e.matches() && below(e.group(1), numExperts) && Set.of(w1, w2, w3).contains(e.group(2));
    }

    private static boolean below(String index, int limit) {
        return index.length() < 10 && Integer.parseInt(index) < limit;
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
