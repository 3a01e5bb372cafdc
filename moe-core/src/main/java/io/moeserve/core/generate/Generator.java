package io.moeserve.core.generate;

import io.moeserve.core.engine.ContextLengthException;
import io.moeserve.core.engine.Engine;
import io.moeserve.core.engine.KvCache;
import io.moeserve.core.engine.SeqInput;
import io.moeserve.core.sampling.Sampler;
import io.moeserve.core.sampling.SamplingParams;
import io.moeserve.core.tokenizer.TextStream;
import io.moeserve.core.tokenizer.Tokenizer;

import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * One sequence generated on the monolithic engine: prefill the prompt as one batch, then decode a
 * token per step with the KV cache until EOS, a stop sequence, max_tokens or the context limit.
 * The CLI uses it; the router's scheduler does the same per sequence inside a shared batch.
 */
public final class Generator {
    private final Engine engine;
    private final Tokenizer tokenizer;

    /** The outcome: generated ids (without the prompt), the emitted text and why it ended. */
    public record Result(int[] tokens, String text, FinishReason finishReason, int promptTokens) {
    }

    public Generator(Engine engine, Tokenizer tokenizer) {
        this.engine = engine;
        this.tokenizer = tokenizer;
    }

    public Result generate(int[] prompt, SamplingParams params, Consumer<String> onText) {
        if (prompt.length == 0) throw new IllegalArgumentException("the prompt is empty: at least one token is needed");
        int limit = engine.config().maxPositions();
        if (prompt.length > limit) throw new ContextLengthException(prompt.length, limit);
        Sampler sampler = new Sampler(params);
        TextStream text = new TextStream(tokenizer, params.stop());
        KvCache cache = engine.newCache();
        List<Integer> eos = engine.config().eosTokenIds();
        int[] out = new int[params.maxTokens()];
        int n = 0;
        float[] logits = engine.forward(List.of(new SeqInput(cache, prompt)))[0];
        FinishReason reason = FinishReason.LENGTH;
        while (n < params.maxTokens()) {
            int next = sampler.next(logits);
            if (!params.ignoreEos() && eos.contains(next)) {
                reason = FinishReason.STOP;
                break;
            }
            out[n++] = next;
            String delta = text.add(next);
            if (!delta.isEmpty()) onText.accept(delta);
            if (text.stopped()) {
                reason = FinishReason.STOP;
                break;
            }
            if (n == params.maxTokens() || cache.length() + 1 > limit) break;
            logits = engine.forward(List.of(new SeqInput(cache, new int[]{next})))[0];
        }
        String rest = text.flush();
        if (!rest.isEmpty()) onText.accept(rest);
        return new Result(Arrays.copyOf(out, n), text.text(), reason, prompt.length);
    }
}
