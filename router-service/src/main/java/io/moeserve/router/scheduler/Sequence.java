package io.moeserve.router.scheduler;

import io.moeserve.core.engine.KvCache;
import io.moeserve.core.generate.FinishReason;
import io.moeserve.core.sampling.Sampler;
import io.moeserve.core.tokenizer.TextStream;

/** A request admitted to the batch: its KV cache, how far its prompt is prefilled, what it generated. */
final class Sequence implements GenerationHandle {
    final GenerationRequest request;
    final TokenSink sink;
    final KvCache cache;
    final Sampler sampler;
    final TextStream text;
    final long submittedNanos;
    long admittedNanos;
    long firstTokenNanos;
    long lastTokenNanos;
    int prefilled;
    int cachedTokens;
    int generated;
    int lastToken = -1;
    float[] promptLogprobs;
    volatile boolean cancelled;
    volatile boolean done;

    Sequence(GenerationRequest request, TokenSink sink, KvCache cache, Sampler sampler, TextStream text) {
        this.request = request;
        this.sink = sink;
        this.cache = cache;
        this.sampler = sampler;
        this.text = text;
        this.submittedNanos = System.nanoTime();
    }

    boolean prefilling() {
        return prefilled < request.prompt().length;
    }

    TokenSink.Usage usage() {
        return new TokenSink.Usage(request.prompt().length, generated, cachedTokens);
    }

    void finish(FinishReason reason) {
        if (done) return;
        done = true;
        String rest = text.flush();
        if (!rest.isEmpty()) sink.onToken(new TokenSink.Token(-1, rest, Float.NaN, java.util.List.of()));
        sink.onFinish(reason, usage());
    }

    void fail(RuntimeException e) {
        if (done) return;
        done = true;
        sink.onError(e);
    }

    @Override
    public void cancel() {
        cancelled = true;
    }

    @Override
    public boolean isDone() {
        return done;
    }
}
