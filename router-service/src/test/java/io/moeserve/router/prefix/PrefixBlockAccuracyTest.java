package io.moeserve.router.prefix;

import io.moeserve.core.engine.Engine;
import io.moeserve.core.engine.KvCache;
import io.moeserve.core.engine.SeqInput;
import io.moeserve.core.kvcache.BlockHasher;
import io.moeserve.core.kvcache.KvBlockCodec;
import io.moeserve.core.model.ModelConfig;
import io.moeserve.core.sampling.Sampler;
import io.moeserve.router.TestModel;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What storing KV blocks does to the numbers: for every golden prompt (extended by its golden
 * continuation so that each has full blocks), greedy tokens after restoring its blocks from BF16
 * equal the no-cache tokens; the int8 blocks' logit deviation is measured and printed.
 */
class PrefixBlockAccuracyTest {
    static final int STEPS = 16;

    @Test
    void bf16Blocks_sameGreedyTokensAsNoCache_onEveryGoldenPrompt_int8DeviationMeasured() throws Exception {
        Engine engine = TestModel.runtime().engine();
        JsonNode cases = JsonMapper.builder().build().readTree(Files.readString(TestModel.dir().resolve("golden.json"))).get("cases");
        float worstBf16 = 0, worstInt8 = 0;
        for (JsonNode c : cases) {
            List<Integer> ids = new ArrayList<>();
            c.get("input_ids").forEach(n -> ids.add(n.asInt()));
            c.get("greedy_ids").forEach(n -> ids.add(n.asInt()));
            int[] prompt = ids.stream().mapToInt(Integer::intValue).toArray();
            Run plain = greedy(engine, prompt, null);
            Run bf16 = greedy(engine, prompt, KvBlockCodec.Encoding.BF16);
            Run int8 = greedy(engine, prompt, KvBlockCodec.Encoding.INT8);
            assertThat(bf16.tokens()).as(c.get("text").asString()).isEqualTo(plain.tokens());
            worstBf16 = Math.max(worstBf16, maxDiff(plain.firstLogits(), bf16.firstLogits()));
            worstInt8 = Math.max(worstInt8, maxDiff(plain.firstLogits(), int8.firstLogits()));
        }
        System.out.printf("prefix blocks: max |logit diff| vs no cache: bf16 %.2e, int8 %.2e%n", worstBf16, worstInt8);
        assertThat(worstInt8).isLessThan(1.0f);
    }

    record Run(List<Integer> tokens, float[] firstLogits) {
    }

    /** Greedy decode; with an encoding, the prompt's full blocks go through encode/decode first. */
    static Run greedy(Engine engine, int[] prompt, KvBlockCodec.Encoding enc) {
        ModelConfig cfg = engine.config();
        KvCache cache = engine.newCache();
        int done = 0;
        if (enc != null) {
            KvCache warm = engine.newCache();
            engine.forward(List.of(new SeqInput(warm, prompt)));
            int blocks = (prompt.length - 1) / BlockHasher.BLOCK_TOKENS, t = BlockHasher.BLOCK_TOKENS;
            float[][] k = new float[cfg.numLayers()][blocks * t * cfg.kvDim()], v = new float[cfg.numLayers()][blocks * t * cfg.kvDim()];
            float[][] wk = new float[cfg.numLayers()][], wv = new float[cfg.numLayers()][];
            for (int l = 0; l < cfg.numLayers(); l++) {
                wk[l] = warm.keys(l);
                wv[l] = warm.values(l);
            }
            for (int b = 0; b < blocks; b++) {
                byte[] block = KvBlockCodec.encode(wk, wv, b * t, cfg.numKvHeads(), cfg.headDim(), enc);
                KvBlockCodec.decode(block, k, v, b * t, cfg.numKvHeads(), cfg.headDim());
            }
            cache.append(blocks * t, k, v);
            done = blocks * t;
        }
        float[] logits = engine.forward(List.of(new SeqInput(cache, java.util.Arrays.copyOfRange(prompt, done, prompt.length))))[0];
        float[] first = logits;
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < STEPS; i++) {
            int next = Sampler.argmax(logits);
            out.add(next);
            logits = engine.forward(List.of(new SeqInput(cache, new int[]{next})))[0];
        }
        return new Run(out, first);
    }

    static float maxDiff(float[] a, float[] b) {
        float m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }
}
