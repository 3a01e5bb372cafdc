package io.moeserve.core.checkpoint;

/** A checkpoint that cannot be loaded; the message names the file, tensor or limit at fault. */
public class CheckpointException extends RuntimeException {
    public CheckpointException(String message) {
        super(message);
    }

    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
