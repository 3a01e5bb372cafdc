package io.moeserve.core.model;

import io.moeserve.core.checkpoint.CheckpointException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** config.json of each family is read as Hugging Face reads it; options that change the math unread are refused. */
class ModelConfigTest {
    static final String COMMON = "\"vocab_size\": 100, \"hidden_size\": 64, \"num_hidden_layers\": 2, \"num_attention_heads\": 4,"
            + " \"num_key_value_heads\": 2, \"max_position_embeddings\": 128, \"num_experts_per_tok\": 2";
    static final String MIXTRAL = "{\"architectures\": [\"MixtralForCausalLM\"], " + COMMON + ", \"intermediate_size\": 32, \"num_local_experts\": 4";
    static final String QWEN3 = "{\"architectures\": [\"Qwen3MoeForCausalLM\"], " + COMMON + ", \"moe_intermediate_size\": 32, \"num_experts\": 4";
    static final String OLMOE = "{\"architectures\": [\"OlmoeForCausalLM\"], " + COMMON + ", \"intermediate_size\": 32, \"num_experts\": 4";

    static ModelConfig parse(String json) {
        return ModelConfig.parse(json, "config.json");
    }

    @Test
    void topKRenormalisation_followsEachFamilysDefault() {
        assertThat(parse(MIXTRAL + "}").normTopKProb()).isTrue();
        assertThat(parse(QWEN3 + "}").normTopKProb()).isTrue();
        assertThat(parse(OLMOE + "}").normTopKProb()).isFalse();
        assertThat(parse(QWEN3 + ", \"norm_topk_prob\": false}").normTopKProb()).isFalse();
        assertThat(parse(OLMOE + ", \"norm_topk_prob\": true}").normTopKProb()).isTrue();
    }

    @Test
    void clipQkv_isReadForOlmoeOnlyAsHuggingFaceDoes() {
        assertThat(parse(OLMOE + ", \"clip_qkv\": 8.0}").clipQkv()).isEqualTo(8f);
        assertThat(parse(MIXTRAL + ", \"clip_qkv\": 8.0}").clipQkv()).isZero();
    }

    @Test
    void olmoeHeadDim_mustBeHiddenOverHeads() {
        assertThat(parse(OLMOE + "}").headDim()).isEqualTo(16);
        assertThatThrownBy(() -> parse(OLMOE + ", \"head_dim\": 32}")).isInstanceOf(CheckpointException.class)
                .hasMessageContaining("hidden_size 64 = num_attention_heads 4 x head_dim 32");
    }

    @Test
    void qwen3_readsHeadDimAndMoeIntermediateSize() {
        ModelConfig c = parse(QWEN3 + ", \"head_dim\": 32, \"intermediate_size\": 999}");
        assertThat(c.headDim()).isEqualTo(32);
        assertThat(c.qDim()).isEqualTo(128);
        assertThat(c.intermediateSize()).isEqualTo(32);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"\"decoder_sparse_step\": 2", "\"mlp_only_layers\": [0]", "\"shared_expert_intermediate_size\": 64",
            "\"attention_bias\": true", "\"use_sliding_window\": true", "\"hidden_act\": \"gelu\"", "\"rope_scaling\": {\"type\": \"linear\"}"})
    void qwen3OptionsOutsideTheEngine_areRefusedByName(String option) {
        String key = option.substring(1, option.indexOf('"', 1));
        assertThatThrownBy(() -> parse(QWEN3 + ", " + option + "}")).isInstanceOf(CheckpointException.class)
                .hasMessageContaining("config.json").hasMessageContaining(key);
    }

    @Test
    void nullOptionalKeys_areAccepted() {
        ModelConfig c = parse(QWEN3 + ", \"rope_scaling\": null, \"sliding_window\": null, \"head_dim\": null, \"num_key_value_heads\": null}");
        assertThat(c.numKvHeads()).isEqualTo(4);
        assertThat(c.headDim()).isEqualTo(16);
    }

    @Test
    void tensorNames_eachFamilysWeightsAreUnderstoodAndNothingElse() {
        for (Architecture a : Architecture.values()) {
            assertThat(a.understands("model.embed_tokens.weight", 2, 4)).isTrue();
            assertThat(a.understands("lm_head.weight", 2, 4)).isTrue();
            assertThat(a.understands(a.gate(1), 2, 4)).isTrue();
            for (String w : new String[]{"w1", "w2", "w3"}) assertThat(a.understands(a.expert(1, 3, w), 2, 4)).isTrue();
            assertThat(a.understands(a.expert(1, 4, "w1"), 2, 4)).as("expert beyond num_experts").isFalse();
            assertThat(a.understands(a.gate(2), 2, 4)).as("layer beyond num_hidden_layers").isFalse();
            assertThat(a.understands("model.layers.0.self_attn.q_proj.bias", 2, 4)).isFalse();
            assertThat(a.understands("model.layers.0.mlp.shared_expert.up_proj.weight", 2, 4)).isFalse();
            assertThat(a.understands("model.layers.0.self_attn.q_norm.weight", 2, 4)).isEqualTo(a != Architecture.MIXTRAL);
        }
        assertThat(Architecture.MIXTRAL.understands("model.layers.0.mlp.experts.0.gate_proj.weight", 2, 4)).isFalse();
        assertThat(Architecture.QWEN3_MOE.understands("model.layers.0.block_sparse_moe.experts.0.w1.weight", 2, 4)).isFalse();
    }
}
