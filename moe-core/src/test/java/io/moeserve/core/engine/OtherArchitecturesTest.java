package io.moeserve.core.engine;

import io.moeserve.core.SyntheticModels;
import io.moeserve.core.model.Architecture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import static io.moeserve.core.engine.GoldenTest.argmax;
import static io.moeserve.core.engine.GoldenTest.maxAbsDiff;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Qwen3-MoE and OLMoE run on the engine and agree with an independent float32 PyTorch implementation
 * (src/test/python/synthetic_ref.py, results in synthetic-expected.json) on tiny random checkpoints:
 * logits, experts chosen, greedy continuation; and KV-cached decode equals recomputation.
 * The checkpoints are written to target/synthetic, where the Python script reads them to regenerate.
 */
class OtherArchitecturesTest {
    static final Map<String, Engine> engines = new HashMap<>();
    static JsonNode expected;

    @BeforeAll
    static void writeAndLoad() throws IOException {
        SyntheticModels.main(new String[]{"target/synthetic"});
        try (InputStream in = OtherArchitecturesTest.class.getResourceAsStream("/synthetic-expected.json")) {
            expected = JsonMapper.builder().build().readTree(in).get("models");
        }
        for (String name : List.of(SyntheticModels.QWEN3, SyntheticModels.OLMOE)) {
            engines.put(name, Engine.load(Path.of("target/synthetic", name)));
        }
    }

    @AfterAll
    static void close() {
        engines.values().forEach(Engine::close);
    }

    @ParameterizedTest
    @ValueSource(strings = {SyntheticModels.QWEN3, SyntheticModels.OLMOE})
    void syntheticCheckpoint_isTheOneTheReferenceRan(String name) throws Exception {
        byte[] file = Files.readAllBytes(Path.of("target/synthetic", name, "model.safetensors"));
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(file));
        assertThat(sha).as("SyntheticModels changed: regenerate synthetic-expected.json as the header of src/test/python/synthetic_ref.py says")
                .isEqualTo(expected.get(name).get("safetensors_sha256").asString());
        assertThat(engines.get(name).config().architecture().hfName()).isEqualTo(expected.get(name).get("architecture").asString());
    }

    @ParameterizedTest
    @ValueSource(strings = {SyntheticModels.QWEN3, SyntheticModels.OLMOE})
    void logitsAndExperts_matchIndependentReference(String name) {
        Engine engine = engines.get(name);
        for (JsonNode c : expected.get(name).get("cases")) {
            int[] ids = Golden.ints(c.get("input_ids"));
            ForwardPass pass = engine.run(engine.begin(List.of(new SeqInput(engine.newCache(), ids))));
            float[] logits = pass.logits()[0];
            float diff = maxAbsDiff(logits, Golden.floats(c.get("last_logits")));
            System.out.printf("%s prompt of %d tokens: max|logit - torch| = %.2e%n", name, ids.length, diff);
            assertThat(diff).as("%s, %d-token prompt", name, ids.length).isLessThanOrEqualTo(1e-4f);
            JsonNode topk = c.get("router_topk");
            for (int l = 0; l < topk.size(); l++) {
                Routing r = pass.routings().get(l);
                for (int t = 0; t < ids.length; t++) {
                    assertThat(new int[]{r.expert(t, 0), r.expert(t, 1)}).as("layer %d token %d", l, t)
                            .containsExactly(Golden.ints(topk.get(l).get(t)));
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {SyntheticModels.QWEN3, SyntheticModels.OLMOE})
    void greedyContinuation_matchesIndependentReference(String name) {
        Engine engine = engines.get(name);
        for (JsonNode c : expected.get(name).get("cases")) {
            KvCache cache = engine.newCache();
            float[] logits = engine.forward(List.of(new SeqInput(cache, Golden.ints(c.get("input_ids")))))[0];
            int[] want = Golden.ints(c.get("greedy_ids"));
            for (int i = 0; i < want.length; i++) {
                int next = argmax(logits);
                assertThat(next).as("%s step %d", name, i).isEqualTo(want[i]);
                logits = engine.forward(List.of(new SeqInput(cache, new int[]{next})))[0];
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {SyntheticModels.QWEN3, SyntheticModels.OLMOE})
    void kvCachedDecode_matchesRecomputingWholeSequence(String name) {
        Engine engine = engines.get(name);
        int[] seq = {5, 9, 14, 27, 3, 88, 41, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
        int prompt = 7;
        KvCache cache = engine.newCache();
        float[] logits = engine.forward(List.of(new SeqInput(cache, java.util.Arrays.copyOf(seq, prompt))))[0];
        for (int i = prompt; i < seq.length; i++) {
            seq[i] = argmax(logits);
            logits = engine.forward(List.of(new SeqInput(cache, new int[]{seq[i]})))[0];
            float[] full = engine.forward(List.of(new SeqInput(engine.newCache(), java.util.Arrays.copyOf(seq, i + 1))))[0];
            assertThat(maxAbsDiff(logits, full)).as("%s position %d", name, i).isLessThanOrEqualTo(1e-4f);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {SyntheticModels.QWEN3, SyntheticModels.OLMOE})
    void config_readsArchitectureSpecificKeys(String name) {
        var c = engines.get(name).config();
        if (name.equals(SyntheticModels.QWEN3)) {
            assertThat(c.architecture()).isEqualTo(Architecture.QWEN3_MOE);
            assertThat(c.headDim()).isEqualTo(32);
            assertThat(c.qDim()).isNotEqualTo(c.hiddenSize());
            assertThat(c.normTopKProb()).isTrue();
            assertThat(c.intermediateSize()).as("moe_intermediate_size, not the dense intermediate_size").isEqualTo(32);
        } else {
            assertThat(c.architecture()).isEqualTo(Architecture.OLMOE);
            assertThat(c.normTopKProb()).isFalse();
            assertThat(c.clipQkv()).isEqualTo(2.0f);
        }
    }
}
