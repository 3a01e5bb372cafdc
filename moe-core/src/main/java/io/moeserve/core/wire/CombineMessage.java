package io.moeserve.core.wire;

import io.moeserve.core.placement.ExpertId;

import java.util.List;
import java.util.Objects;

/**
 * Expert instance → router: the answer to one {@link DispatchMessage}, whose header it echoes. OK
 * carries one vector per dispatched token: that token's partial sum over the slots this instance
 * computed ({@code sum_j w_j * FFN_j(h)}, summed in ascending expert order); the router adds the
 * partials of all instances starting from zero. STALE_PLAN lists the (layer, expert) pairs the
 * instance does not hold; ERROR carries a message. Non-OK replies carry no vectors. Body on the
 * wire: u8 status; STALE_PLAN: i32 count, count × (i16 layer, i16 expert); ERROR: i32 byte length,
 * UTF-8 text; OK: tokens × hiddenSize values in the header's dtype.
 */
public record CombineMessage(WireHeader header, Status status, List<ExpertId> notHeld, String error, float[] vectors)
        implements WireMessage {

    public enum Status {
        OK(0), STALE_PLAN(1), ERROR(2);

        private final int code;

        Status(int code) {
            this.code = code;
        }

        public int code() {
            return code;
        }

        static Status ofCode(int code) {
            for (Status s : values()) {
                if (s.code == code) return s;
            }
            return null;
        }
    }

    public CombineMessage {
        if (header.kind() != WireHeader.Kind.COMBINE) throw new IllegalArgumentException("header kind is " + header.kind());
        Objects.requireNonNull(status, "status");
        notHeld = notHeld == null ? List.of() : List.copyOf(notHeld);
        error = error == null ? "" : error;
        if (status == Status.OK) {
            if (vectors == null || vectors.length != (long) header.tokens() * header.hiddenSize()) {
                throw new IllegalArgumentException("OK reply for " + header.tokens() + " tokens x hidden " + header.hiddenSize()
                        + " needs " + (long) header.tokens() * header.hiddenSize() + " floats, got "
                        + (vectors == null ? "none" : vectors.length));
            }
        } else {
            vectors = new float[0];
        }
    }

    public static CombineMessage ok(WireHeader dispatch, float[] vectors) {
        return new CombineMessage(dispatch.as(WireHeader.Kind.COMBINE), Status.OK, List.of(), "", vectors);
    }

    public static CombineMessage stalePlan(WireHeader dispatch, List<ExpertId> notHeld) {
        return new CombineMessage(dispatch.as(WireHeader.Kind.COMBINE), Status.STALE_PLAN, notHeld, "", null);
    }

    public static CombineMessage error(WireHeader dispatch, String message) {
        return new CombineMessage(dispatch.as(WireHeader.Kind.COMBINE), Status.ERROR, List.of(), message, null);
    }

    public long batchId() {
        return header.batchId();
    }
}
