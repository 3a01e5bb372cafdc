package io.moeserve.core.kvcache;

import static org.assertj.core.api.Assertions.assertThat;

import io.moeserve.core.TestModels;
import io.moeserve.core.engine.Engine;
import io.moeserve.core.engine.Golden;
import io.moeserve.core.engine.KvCache;
import io.moeserve.core.engine.SeqInput;
import io.moeserve.core.kvcache.KvBlockCodec.Encoding;
import io.moeserve.core.model.ModelConfig;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What a shared-cache hit does to the model's output: the full blocks of a prompt are computed by
 * one "replica", encoded, decoded into a fresh cache by another, and only the rest is prefilled.
 * BF16 blocks must give the same greedy tokens as no cache; INT8's logit deviation is measured.
 * Prompts: every golden prompt followed by its reference continuation (27 to 167 tokens).
 */
class SharedPrefixLogitsTest {
    static final int DECODE_STEPS = 16;
    static Engine engine;

    @BeforeAll
    static void load() {
        engine = Engine.load(TestModels.tinyMoe());
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    /** Greedy tokens and logits of every step: prefill (with blocks from the shared cache) then decode. */
    record Run(int[] tokens, float[][] logits) {
    }

    @Test
    void reusedPrefixWithoutEncoding_matchesNoCache_soTheHarnessIsFair() {
        for (Golden g : Golden.load()) {
            int[] prompt = prompt(g);
            assertThat(maxDiff(run(prompt, null, false), run(prompt, null, true))).as(g.text()).isLessThan(1e-3f);
        }
    }

    @Test
    void bf16Blocks_giveTheSameGreedyTokensAsNoCache() {
        float worst = 0;
        for (Golden g : Golden.load()) {
            int[] prompt = prompt(g);
            Run plain = run(prompt, null, false);
            Run cached = run(prompt, Encoding.BF16, true);
            assertThat(cached.tokens()).as(g.text()).containsExactly(plain.tokens());
            worst = Math.max(worst, maxDiff(plain, cached));
        }
        System.out.printf("shared KV blocks BF16: greedy tokens identical on every golden prompt, max |logit diff| = %.3e%n", worst);
        assertThat(worst).isLessThan(0.5f);
    }

    @Test
    void int8Blocks_logitDeviationIsMeasured() {
        float worst = 0;
        int mismatched = 0, total = 0;
        for (Golden g : Golden.load()) {
            int[] prompt = prompt(g);
            Run plain = run(prompt, null, false);
            Run cached = run(prompt, Encoding.INT8, true);
            worst = Math.max(worst, maxDiff(plain, cached));
            for (int i = 0; i < DECODE_STEPS; i++) {
                total++;
                if (plain.tokens()[i] != cached.tokens()[i]) {
                    mismatched++;
                    break; // later steps continue from a different token: not comparable
                }
            }
        }
        System.out.printf("shared KV blocks INT8: max |logit diff| = %.3e, prompts whose greedy tokens diverged: %d of %d%n",
                worst, mismatched, Golden.load().size());
        assertThat(worst).isFinite().isLessThan(2f);
    }

    private static int[] prompt(Golden g) {
        int[] p = Arrays.copyOf(g.inputIds(), g.inputIds().length + g.greedyIds().length);
        System.arraycopy(g.greedyIds(), 0, p, g.inputIds().length, g.greedyIds().length);
        return p;
    }

    /**
     * reuse: the leading full blocks (leaving >= 1 token to prefill) come from another cache, through
     * the codec in {@code enc} (or copied as float32 when enc is null).
     */
    private static Run run(int[] prompt, Encoding enc, boolean reuse) {
        ModelConfig c = engine.config();
        KvCache cache = engine.newCache();
        int reused = 0;
        if (reuse) {
            KvCache donor = engine.newCache(); // another replica computed the prefix
            engine.forward(List.of(new SeqInput(donor, prompt)));
            int blocks = (prompt.length - 1) / BlockHasher.BLOCK_TOKENS;
            reused = blocks * BlockHasher.BLOCK_TOKENS;
            float[][] dk = new float[c.numLayers()][], dv = new float[c.numLayers()][];
            for (int l = 0; l < c.numLayers(); l++) {
                dk[l] = donor.keys(l);
                dv[l] = donor.values(l);
            }
            float[][] k = new float[c.numLayers()][reused * c.kvDim()], v = new float[c.numLayers()][reused * c.kvDim()];
            for (int b = 0; b < blocks; b++) {
                int t = b * BlockHasher.BLOCK_TOKENS;
                if (enc == null) {
                    int n = BlockHasher.BLOCK_TOKENS * c.kvDim();
                    for (int l = 0; l < c.numLayers(); l++) {
                        System.arraycopy(dk[l], t * c.kvDim(), k[l], t * c.kvDim(), n);
                        System.arraycopy(dv[l], t * c.kvDim(), v[l], t * c.kvDim(), n);
                    }
                } else {
                    byte[] block = KvBlockCodec.encode(dk, dv, t, c.numKvHeads(), c.headDim(), enc);
                    KvBlockCodec.decode(block, k, v, t, c.numKvHeads(), c.headDim());
                }
            }
            cache.append(reused, k, v);
        }
        float[][] logits = new float[DECODE_STEPS][];
        int[] tokens = new int[DECODE_STEPS];
        float[] last = engine.forward(List.of(new SeqInput(cache, Arrays.copyOfRange(prompt, reused, prompt.length))))[0];
        for (int i = 0; i < DECODE_STEPS; i++) {
            logits[i] = last;
            tokens[i] = argmax(last);
            last = engine.forward(List.of(new SeqInput(cache, new int[] {tokens[i]})))[0];
        }
        return new Run(tokens, logits);
    }

    private static float maxDiff(Run a, Run b) {
        float m = 0;
        for (int i = 0; i < DECODE_STEPS && a.tokens()[i] == b.tokens()[i]; i++) {
            for (int j = 0; j < a.logits()[i].length; j++) {
                m = Math.max(m, Math.abs(a.logits()[i][j] - b.logits()[i][j]));
            }
        }
        return m;
    }

    private static int argmax(float[] a) {
        int best = 0;
        for (int i = 1; i < a.length; i++) {
            if (a[i] > a[best]) {
                best = i;
            }
        }
        return best;
    }
}
