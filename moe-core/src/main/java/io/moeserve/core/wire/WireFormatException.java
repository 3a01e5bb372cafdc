package io.moeserve.core.wire;

/**
 * A byte array that is not a well-formed message of a wire version this reader understands. The
 * message says precisely what is wrong; {@link #reason()} is a short stable label for metrics
 * ({@code moeserve_wire_rejected_total{reason}}).
 */
public final class WireFormatException extends RuntimeException {

    /** Why a message was rejected; the lower-case name is the metric label. */
    public enum Reason {
        MAGIC, VERSION, KIND, DTYPE, TRUNCATED, SIZE_MISMATCH, INVALID;

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private final Reason reason;

    public WireFormatException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
