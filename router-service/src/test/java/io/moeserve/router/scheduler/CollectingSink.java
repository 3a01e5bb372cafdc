package io.moeserve.router.scheduler;

import io.moeserve.core.generate.FinishReason;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** A sink that collects a request's tokens and completes when it finishes. */
public final class CollectingSink implements TokenSink {
    public record Outcome(List<Integer> tokens, String text, FinishReason reason, Usage usage) {
    }

    private final List<Integer> tokens = new ArrayList<>();
    private final StringBuilder text = new StringBuilder();
    public final CompletableFuture<Outcome> done = new CompletableFuture<>();

    @Override
    public synchronized void onToken(Token token) {
        if (token.id() >= 0) tokens.add(token.id());
        text.append(token.text());
    }

    @Override
    public synchronized void onFinish(FinishReason reason, Usage usage) {
        done.complete(new Outcome(List.copyOf(tokens), text.toString(), reason, usage));
    }

    @Override
    public void onError(RuntimeException error) {
        done.completeExceptionally(error);
    }
}
