package io.moeserve.core.wire;

/**
 * How hidden vectors travel. F32 is exact (the default: the distributed path must give the
 * monolithic engine's tokens); BF16 halves the bytes at the cost of rounding each value to 8
 * significand bits (round-to-nearest-even, see {@link Bf16}).
 */
public enum WireDType {
    F32(0, 4), BF16(1, 2);

    private final int code;
    private final int bytes;

    WireDType(int code, int bytes) {
        this.code = code;
        this.bytes = bytes;
    }

    public int code() {
        return code;
    }

    /** Bytes per value on the wire. */
    public int bytes() {
        return bytes;
    }

    /** The dtype with this wire code, or {@code null}. */
    static WireDType ofCode(int code) {
        for (WireDType t : values()) {
            if (t.code == code) return t;
        }
        return null;
    }
}
