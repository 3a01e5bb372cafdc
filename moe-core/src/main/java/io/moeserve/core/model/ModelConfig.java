package io.moeserve.core.model;

import io.moeserve.core.checkpoint.CheckpointException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The hyper-parameters of a Hugging Face MoE checkpoint ({@code config.json}), validated so that a
 * model is never loaded half-understood: options that change the math and that moeserve does not
 * implement (rope scaling, dense layers between sparse ones, shared experts, biases) are refused.
 */
public record ModelConfig(
        Architecture architecture,
        int vocabSize,
        int hiddenSize,
        int intermediateSize,
        int numLayers,
        int numHeads,
        int numKvHeads,
        int headDim,
        int maxPositions,
        float rmsNormEps,
        double ropeTheta,
        int numExperts,
        int topK,
        boolean normTopKProb,
        boolean tieWordEmbeddings,
        int slidingWindow,
        float clipQkv,
        int bosTokenId,
        List<Integer> eosTokenIds) {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    public int qDim() {
        return numHeads * headDim;
    }

    public int kvDim() {
        return numKvHeads * headDim;
    }

    public static ModelConfig load(Path modelDir) {
        Path file = modelDir.resolve("config.json");
        try {
            return parse(Files.readString(file), file.toString());
        } catch (NoSuchFileException e) {
            throw new CheckpointException("model directory " + modelDir + " has no config.json", e);
        } catch (IOException e) {
            throw new CheckpointException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    public static ModelConfig parse(String json, String source) {
        JsonNode c;
        try {
            c = JSON.readTree(json);
        } catch (RuntimeException e) {
            throw new CheckpointException(source + " is not valid JSON: " + e.getMessage(), e);
        }
        JsonNode archs = c.path("architectures");
        if (!archs.isArray() || archs.isEmpty()) {
            throw new CheckpointException(source + " names no architecture (\"architectures\" is missing)");
        }
        Architecture arch;
        try {
            arch = Architecture.ofHfName(archs.get(0).asString());
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(source + ": " + e.getMessage());
        }
        Reader r = new Reader(c, source);
        int hidden = r.positiveInt("hidden_size");
        int heads = r.positiveInt("num_attention_heads");
        int kvHeads = c.has("num_key_value_heads") && !c.get("num_key_value_heads").isNull()
                ? r.positiveInt("num_key_value_heads") : heads;
        int headDim = c.has("head_dim") && !c.get("head_dim").isNull() ? r.positiveInt("head_dim") : hidden / heads;
        if (heads % kvHeads != 0) {
            throw new CheckpointException(source + ": num_attention_heads " + heads
                    + " is not a multiple of num_key_value_heads " + kvHeads);
        }
        if (headDim % 2 != 0) throw new CheckpointException(source + ": head_dim " + headDim + " must be even for RoPE");
        int experts = switch (arch) {
            case MIXTRAL -> r.positiveInt("num_local_experts");
            case QWEN3_MOE, OLMOE -> r.positiveInt("num_experts");
        };
        int inter = arch == Architecture.QWEN3_MOE ? r.positiveInt("moe_intermediate_size") : r.positiveInt("intermediate_size");
        int topK = r.positiveInt("num_experts_per_tok");
        if (topK > experts) throw new CheckpointException(source + ": num_experts_per_tok " + topK + " > experts " + experts);
        boolean normTopK = switch (arch) {
            case MIXTRAL -> true; // HF Mixtral always renormalises the top-k weights
            case QWEN3_MOE -> c.path("norm_topk_prob").asBoolean(true);
            case OLMOE -> c.path("norm_topk_prob").asBoolean(false);
        };
        r.refuseIfSet("rope_scaling", "rope scaling is not implemented");
        r.refuseIfTrue("attention_bias", "attention biases are not implemented");
        r.refuseIfTrue("qkv_bias", "attention biases are not implemented");
        if (arch == Architecture.QWEN3_MOE) {
            if (c.has("decoder_sparse_step") && c.get("decoder_sparse_step").asInt(1) != 1) {
                throw new CheckpointException(source + ": decoder_sparse_step != 1 (dense MLP layers) is not implemented");
            }
            if (c.path("mlp_only_layers").isArray() && !c.get("mlp_only_layers").isEmpty()) {
                throw new CheckpointException(source + ": mlp_only_layers (dense MLP layers) is not implemented");
            }
        }
        r.refuseIfSet("shared_expert_intermediate_size", "shared experts are not implemented");
        String act = c.path("hidden_act").asString("silu");
        if (!act.equals("silu")) throw new CheckpointException(source + ": hidden_act " + act + " is not implemented (silu only)");
        int window = c.path("sliding_window").isNull() || !c.has("sliding_window") ? 0 : c.get("sliding_window").asInt();
        if (arch != Architecture.MIXTRAL && c.path("use_sliding_window").asBoolean(false)) {
            throw new CheckpointException(source + ": use_sliding_window is not implemented for " + arch.hfName());
        }
        if (arch != Architecture.MIXTRAL) window = 0;
        // Only OLMoE's attention reads clip_qkv; HF ignores the key elsewhere, and so do we.
        float clip = arch == Architecture.OLMOE && c.path("clip_qkv").isNumber() ? (float) c.get("clip_qkv").asDouble() : 0f;
        if (arch == Architecture.OLMOE && headDim * heads != hidden) {
            // HF's OLMoE derives head_dim = hidden_size / num_attention_heads and ignores a head_dim key.
            throw new CheckpointException(source + ": OlmoeForCausalLM needs hidden_size " + hidden
                    + " = num_attention_heads " + heads + " x head_dim " + headDim);
        }
        List<Integer> eos = new ArrayList<>();
        JsonNode eosNode = c.path("eos_token_id");
        if (eosNode.isArray()) eosNode.forEach(n -> eos.add(n.asInt()));
        else if (eosNode.isNumber()) eos.add(eosNode.asInt());
        int maxPos = r.positiveInt("max_position_embeddings");
        return new ModelConfig(arch, r.positiveInt("vocab_size"), hidden, inter, r.positiveInt("num_hidden_layers"),
                heads, kvHeads, headDim, maxPos, (float) c.path("rms_norm_eps").asDouble(1e-6),
                c.path("rope_theta").asDouble(10000.0), experts, topK, normTopK,
                c.path("tie_word_embeddings").asBoolean(false), window, clip,
                c.path("bos_token_id").asInt(-1), List.copyOf(eos));
    }

    private record Reader(JsonNode c, String source) {
        int positiveInt(String key) {
            JsonNode n = c.get(key);
            if (n == null || n.isNull()) throw new CheckpointException(source + " lacks \"" + key + "\"");
            if (!n.isIntegralNumber() || n.asLong() <= 0 || n.asLong() > Integer.MAX_VALUE) {
                throw new CheckpointException(source + ": \"" + key + "\" must be a positive integer, got " + n);
            }
            return n.asInt();
        }

        void refuseIfSet(String key, String why) {
            if (c.has(key) && !c.get(key).isNull() && !(c.get(key).isNumber() && c.get(key).asDouble() == 0)) {
                throw new CheckpointException(source + ": \"" + key + "\" is set but " + why);
            }
        }

        void refuseIfTrue(String key, String why) {
            if (c.path(key).asBoolean(false)) throw new CheckpointException(source + ": \"" + key + "\" is true but " + why);
        }
    }
}
