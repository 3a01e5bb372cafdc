package io.moeserve.core;

import io.moeserve.core.checkpoint.SafetensorsWriter;
import io.moeserve.core.model.Architecture;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Tiny random checkpoints of the non-Mixtral architectures (Qwen3-MoE, OLMoE) with Hugging Face's
 * tensor names, built deterministically from a seed (java.util.Random is specified bit for bit), so
 * the independent PyTorch reference in src/test/python can compute their logits once.
 * Qwen3-MoE: head_dim 32 with hidden 64, so q/o projections are not square; BF16 weights.
 * OLMoE: clip_qkv set low enough to clip, no renormalised top-k; F16 weights (the scalar GEMM path).
 */
public final class SyntheticModels {
    public static final String QWEN3 = "qwen3-moe";
    public static final String OLMOE = "olmoe";
    static final int VOCAB = 128, HIDDEN = 64, LAYERS = 2, HEADS = 4, KV_HEADS = 2, EXPERTS = 8, TOP_K = 2, INTER = 32;
    public static final int MAX_POSITIONS = 64;

    private SyntheticModels() {
    }

    /** Writes config.json and model.safetensors of the named synthetic model into dir; returns dir. */
    public static Path write(String name, Path dir) {
        Architecture arch = name.equals(QWEN3) ? Architecture.QWEN3_MOE : Architecture.OLMOE;
        int headDim = arch == Architecture.QWEN3_MOE ? 32 : HIDDEN / HEADS;
        Random rnd = new Random(arch == Architecture.QWEN3_MOE ? 3 : 7);
        Map<String, Object> cfg = new LinkedHashMap<>();
        cfg.put("architectures", List.of(arch.hfName()));
        cfg.put("model_type", arch == Architecture.QWEN3_MOE ? "qwen3_moe" : "olmoe");
        cfg.put("vocab_size", VOCAB);
        cfg.put("hidden_size", HIDDEN);
        cfg.put("num_hidden_layers", LAYERS);
        cfg.put("num_attention_heads", HEADS);
        cfg.put("num_key_value_heads", KV_HEADS);
        cfg.put("max_position_embeddings", MAX_POSITIONS);
        cfg.put("rms_norm_eps", 1e-6);
        cfg.put("num_experts", EXPERTS);
        cfg.put("num_experts_per_tok", TOP_K);
        cfg.put("hidden_act", "silu");
        cfg.put("tie_word_embeddings", false);
        cfg.put("rope_scaling", null);
        cfg.put("attention_bias", false);
        cfg.put("bos_token_id", 0);
        cfg.put("eos_token_id", 1);
        if (arch == Architecture.QWEN3_MOE) {
            cfg.put("head_dim", headDim);
            cfg.put("moe_intermediate_size", INTER);
            cfg.put("intermediate_size", 3 * INTER);
            cfg.put("norm_topk_prob", true);
            cfg.put("decoder_sparse_step", 1);
            cfg.put("mlp_only_layers", List.of());
            cfg.put("use_sliding_window", false);
            cfg.put("sliding_window", null);
            cfg.put("rope_theta", 1000000.0);
        } else {
            cfg.put("intermediate_size", INTER);
            cfg.put("norm_topk_prob", false);
            cfg.put("clip_qkv", 2.0);
            cfg.put("rope_theta", 10000.0);
        }
        String moe = "mlp";
        int qDim = HEADS * headDim, kvDim = KV_HEADS * headDim;
        Tensors t = new Tensors(rnd, arch == Architecture.QWEN3_MOE ? "BF16" : "F16");
        t.put("model.embed_tokens.weight", 1f, 0f, VOCAB, HIDDEN);
        for (int l = 0; l < LAYERS; l++) {
            String p = "model.layers." + l + ".";
            t.put(p + "input_layernorm.weight", 0.2f, 1f, HIDDEN);
            t.put(p + "self_attn.q_proj.weight", scale(HIDDEN), 0f, qDim, HIDDEN);
            t.put(p + "self_attn.k_proj.weight", scale(HIDDEN), 0f, kvDim, HIDDEN);
            t.put(p + "self_attn.v_proj.weight", scale(HIDDEN), 0f, kvDim, HIDDEN);
            t.put(p + "self_attn.o_proj.weight", scale(qDim), 0f, HIDDEN, qDim);
            if (arch == Architecture.QWEN3_MOE) {
                t.put(p + "self_attn.q_norm.weight", 0.2f, 1f, headDim);
                t.put(p + "self_attn.k_norm.weight", 0.2f, 1f, headDim);
            } else {
                t.put(p + "self_attn.q_norm.weight", 0.2f, 1f, qDim);
                t.put(p + "self_attn.k_norm.weight", 0.2f, 1f, kvDim);
            }
            t.put(p + "post_attention_layernorm.weight", 0.2f, 1f, HIDDEN);
            // A strong gate makes routing decisive, so near-ties never decide the top-k comparison.
            t.put(p + moe + ".gate.weight", 3 * scale(HIDDEN), 0f, EXPERTS, HIDDEN);
            for (int e = 0; e < EXPERTS; e++) {
                String x = p + moe + ".experts." + e + ".";
                t.put(x + "gate_proj.weight", scale(HIDDEN), 0f, INTER, HIDDEN);
                t.put(x + "up_proj.weight", scale(HIDDEN), 0f, INTER, HIDDEN);
                t.put(x + "down_proj.weight", scale(INTER), 0f, HIDDEN, INTER);
            }
        }
        t.put("model.norm.weight", 0.2f, 1f, HIDDEN);
        t.put("lm_head.weight", 2 * scale(HIDDEN), 0f, VOCAB, HIDDEN);
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("config.json"), JsonMapper.builder().build().writerWithDefaultPrettyPrinter().writeValueAsString(cfg));
            t.writer.metadata("format", "pt").write(dir.resolve("model.safetensors"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return dir;
    }

    private static float scale(int fanIn) {
        return (float) (1 / Math.sqrt(fanIn));
    }

    /** Gaussian tensors in a fixed order from one generator: value = mean + std * N(0, 1). */
    private record Tensors(Random rnd, String dtype, SafetensorsWriter writer) {
        Tensors(Random rnd, String dtype) {
            this(rnd, dtype, new SafetensorsWriter());
        }

        void put(String name, float std, float mean, long... shape) {
            long n = 1;
            for (long s : shape) n *= s;
            float[] v = new float[Math.toIntExact(n)];
            for (int i = 0; i < v.length; i++) v[i] = mean + std * (float) rnd.nextGaussian();
            if (dtype.equals("BF16")) writer.bf16(name, v, shape);
            else writer.f16(name, v, shape);
        }
    }

    /** Writes both models under dir (target/synthetic when run from the tests) for the Python reference. */
    public static void main(String[] args) {
        Path dir = Path.of(args.length > 0 ? args[0] : "target/synthetic");
        write(QWEN3, dir.resolve(QWEN3));
        write(OLMOE, dir.resolve(OLMOE));
    }
}
