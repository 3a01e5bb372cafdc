package io.moeserve.core.kvcache;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * The 32-byte content address of one KV block (see {@link BlockHasher}). Wraps the bytes so
 * keys can live in maps and sets; the array is copied in and never handed out mutable.
 */
public final class BlockKey {
    public static final int BYTES = 32;
    /** Parent of the first block of every prompt. */
    public static final BlockKey ROOT = new BlockKey(new byte[BYTES]);

    private final byte[] bytes;
    private final int hash;

    private BlockKey(byte[] bytes) {
        this.bytes = bytes;
        this.hash = Arrays.hashCode(bytes);
    }

    public static BlockKey of(byte[] bytes) {
        if (bytes.length != BYTES) {
            throw new IllegalArgumentException("block key must be " + BYTES + " bytes, got " + bytes.length);
        }
        return new BlockKey(bytes.clone());
    }

    /** Reads a key at {@code offset} of a buffer of concatenated keys (the binary API's body). */
    public static BlockKey read(byte[] buf, int offset) {
        return new BlockKey(Arrays.copyOfRange(buf, offset, offset + BYTES));
    }

    public static BlockKey fromHex(String hex) {
        return of(HexFormat.of().parseHex(hex));
    }

    public byte[] toBytes() {
        return bytes.clone();
    }

    /** Copies the key into {@code dst} at {@code offset} without an intermediate array. */
    public void writeTo(byte[] dst, int offset) {
        System.arraycopy(bytes, 0, dst, offset, BYTES);
    }

    public String hex() {
        return HexFormat.of().formatHex(bytes);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BlockKey k && Arrays.equals(bytes, k.bytes);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public String toString() {
        return "BlockKey[" + hex().substring(0, 16) + "…]";
    }
}
