package io.moeserve.core.engine;

/**
 * One sequence's share of a forward step: new tokens appended at the end of its cache. A decode step
 * has one token; a prefill chunk has many. allLogits asks for the logits of every new position
 * (prompt log-probabilities), otherwise only the last one.
 */
public record SeqInput(KvCache cache, int[] tokens, boolean allLogits) {
    public SeqInput(KvCache cache, int[] tokens) {
        this(cache, tokens, false);
    }

    public SeqInput {
        if (tokens.length == 0) throw new IllegalArgumentException("a step needs at least one token");
    }
}
