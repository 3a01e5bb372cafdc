package io.moeserve.core.wire;

/**
 * Router → one expert instance: the tokens of one layer step that need at least one expert on that
 * instance. Token i's slots are {@code experts[i*k .. i*k+k)} with {@code weights[..]} (the gate's
 * full top-k, descending weight); a slot whose expert lives elsewhere is {@code -1}. Hidden vectors
 * are {@code tokens x hiddenSize}, row-major. Body on the wire: per token k × (i16 expert, f32
 * weight), then the hidden vectors in the header's dtype.
 */
public record DispatchMessage(WireHeader header, int[] experts, float[] weights, float[] hidden) implements WireMessage {

    public DispatchMessage {
        if (header.kind() != WireHeader.Kind.DISPATCH) throw new IllegalArgumentException("header kind is " + header.kind());
        long slots = (long) header.tokens() * header.k();
        if (experts.length != slots || weights.length != slots) {
            throw new IllegalArgumentException("dispatch of " + header.tokens() + " tokens x k=" + header.k() + " needs "
                    + slots + " expert slots and weights, got " + experts.length + " and " + weights.length);
        }
        if (hidden.length != (long) header.tokens() * header.hiddenSize()) {
            throw new IllegalArgumentException("dispatch of " + header.tokens() + " tokens x hidden " + header.hiddenSize()
                    + " needs " + (long) header.tokens() * header.hiddenSize() + " floats, got " + hidden.length);
        }
    }

    public static DispatchMessage of(long planVersion, long batchId, int layer, int routerId, int instancePartition,
                                     int tokens, int hiddenSize, int k, WireDType dtype,
                                     int[] experts, float[] weights, float[] hidden) {
        return new DispatchMessage(WireHeader.of(WireHeader.Kind.DISPATCH, dtype, k, planVersion, batchId, layer,
                routerId, instancePartition, tokens, hiddenSize), experts, weights, hidden);
    }

    public int tokens() {
        return header.tokens();
    }

    public int k() {
        return header.k();
    }

    public int layer() {
        return header.layer();
    }

    public long batchId() {
        return header.batchId();
    }
}
