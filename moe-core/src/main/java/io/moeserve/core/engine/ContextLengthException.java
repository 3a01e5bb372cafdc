package io.moeserve.core.engine;

/** A sequence that would grow past max_position_embeddings; never truncated silently. */
public class ContextLengthException extends IllegalArgumentException {
    private final int requested;
    private final int limit;

    public ContextLengthException(int requested, int limit) {
        super("sequence of " + requested + " tokens exceeds the model's context of " + limit
                + " tokens (max_position_embeddings)");
        this.requested = requested;
        this.limit = limit;
    }

    public int requested() {
        return requested;
    }

    public int limit() {
        return limit;
    }
}
