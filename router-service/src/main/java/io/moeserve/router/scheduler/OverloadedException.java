package io.moeserve.router.scheduler;

/** The admission queue is full: the caller should answer 503 with Retry-After rather than queue more. */
public class OverloadedException extends RuntimeException {
    private final int retryAfterSeconds;

    public OverloadedException(String message, int retryAfterSeconds) {
        super(message);
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public int retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
