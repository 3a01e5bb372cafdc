package io.moeserve.core.kvcache;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Owns the byte format of one shared-cache KV block: the K and V of every layer for
 * {@link BlockHasher#BLOCK_TOKENS} tokens, behind a small versioned header so a block written
 * for another model shape or format version is rejected with a precise error, never misread.
 *
 * <p>Engine layout (the contract with the engine): {@code k[l]} / {@code v[l]} are token-major,
 * element (token t, kv head h, dim d) at {@code (t*numKvHeads + h)*headDim + d}. The block covers
 * tokens [tokenOffset, tokenOffset+16) of those arrays, so the engine's own per-layer cache
 * arrays can be encoded from and decoded into without copying.
 *
 * <p>Bytes, all little-endian: header (16 bytes) = magic "MKVB", u8 version, u8 encoding,
 * u16 layers, u16 kvHeads, u16 headDim, u16 tokens, u16 reserved. Payload per layer, K then V:
 * BF16 = one u16 per value; INT8 = f32 scale per (token, head), then one i8 per value.
 */
public final class KvBlockCodec {
    public static final int MAGIC = 0x42564B4D; // "MKVB" read as a little-endian int
    public static final int VERSION = 1;
    public static final int HEADER_BYTES = 16;

    /** How values are stored; INT8 is symmetric with one scale = maxabs/127 per (layer, K/V, token, head). */
    public enum Encoding {
        BF16(1), INT8(2);

        final int id;

        Encoding(int id) {
            this.id = id;
        }

        static Encoding ofId(int id) {
            for (Encoding e : values()) {
                if (e.id == id) {
                    return e;
                }
            }
            throw new KvBlockFormatException("unknown KV block encoding id " + id);
        }
    }

    /** What a block's header says it holds. */
    public record Header(int version, Encoding encoding, int layers, int kvHeads, int headDim, int tokens) {
        public int valuesPerTensor() {
            return tokens * kvHeads * headDim;
        }
    }

    /** A block that cannot be decoded into the caller's shape; the message names both shapes. */
    public static final class KvBlockFormatException extends IllegalArgumentException {
        public KvBlockFormatException(String message) {
            super(message);
        }
    }

    private static final VarHandle SHORT = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle FLOAT = MethodHandles.byteArrayViewVarHandle(float[].class, ByteOrder.LITTLE_ENDIAN);
    private static final int T = BlockHasher.BLOCK_TOKENS;

    private KvBlockCodec() {
    }

    /** Size in bytes of an encoded block of this shape. */
    public static int encodedSize(int layers, int kvHeads, int headDim, Encoding enc) {
        int n = T * kvHeads * headDim;
        int perTensor = switch (enc) {
            case BF16 -> 2 * n;
            case INT8 -> Float.BYTES * T * kvHeads + n;
        };
        return HEADER_BYTES + layers * 2 * perTensor;
    }

    public static byte[] encode(float[][] k, float[][] v, int numKvHeads, int headDim, Encoding enc) {
        return encode(k, v, 0, numKvHeads, headDim, enc);
    }

    /** Encodes tokens [tokenOffset, tokenOffset+16) of every layer's K and V. */
    public static byte[] encode(float[][] k, float[][] v, int tokenOffset, int numKvHeads, int headDim, Encoding enc) {
        int layers = checkShape(k, v, tokenOffset, numKvHeads, headDim);
        byte[] out = new byte[encodedSize(layers, numKvHeads, headDim, enc)];
        INT.set(out, 0, MAGIC);
        out[4] = (byte) VERSION;
        out[5] = (byte) enc.id;
        SHORT.set(out, 6, (short) layers);
        SHORT.set(out, 8, (short) numKvHeads);
        SHORT.set(out, 10, (short) headDim);
        SHORT.set(out, 12, (short) T);
        int n = T * numKvHeads * headDim;
        int from = tokenOffset * numKvHeads * headDim;
        int pos = HEADER_BYTES;
        for (int l = 0; l < layers; l++) {
            for (float[] src : new float[][] {k[l], v[l]}) {
                pos = enc == Encoding.BF16
                        ? putBf16(src, from, n, out, pos)
                        : putInt8(src, from, numKvHeads, headDim, out, pos);
            }
        }
        return out;
    }

    public static void decode(byte[] block, float[][] k, float[][] v, int numKvHeads, int headDim) {
        decode(block, k, v, 0, numKvHeads, headDim);
    }

    /** Decodes a block into tokens [tokenOffset, tokenOffset+16) of every layer's K and V. */
    public static void decode(byte[] block, float[][] k, float[][] v, int tokenOffset, int numKvHeads, int headDim) {
        int layers = checkShape(k, v, tokenOffset, numKvHeads, headDim);
        Header h = readHeader(block);
        if (h.layers() != layers || h.kvHeads() != numKvHeads || h.headDim() != headDim || h.tokens() != T) {
            throw new KvBlockFormatException("KV block shape mismatch: block has " + describe(h.layers(), h.kvHeads(),
                    h.headDim(), h.tokens()) + ", engine expects " + describe(layers, numKvHeads, headDim, T));
        }
        int expected = encodedSize(layers, numKvHeads, headDim, h.encoding());
        if (block.length != expected) {
            throw new KvBlockFormatException("KV block is " + block.length + " bytes, a " + h.encoding() + " block of "
                    + describe(layers, numKvHeads, headDim, T) + " is " + expected + " bytes");
        }
        int n = T * numKvHeads * headDim;
        int to = tokenOffset * numKvHeads * headDim;
        int pos = HEADER_BYTES;
        for (int l = 0; l < layers; l++) {
            for (float[] dst : new float[][] {k[l], v[l]}) {
                pos = h.encoding() == Encoding.BF16
                        ? getBf16(block, pos, dst, to, n)
                        : getInt8(block, pos, dst, to, numKvHeads, headDim);
            }
        }
    }

    /** Parses and checks magic and version; shape checks are the caller's (see {@link #decode}). */
    public static Header readHeader(byte[] block) {
        if (block.length < HEADER_BYTES) {
            throw new KvBlockFormatException("KV block is " + block.length + " bytes, shorter than its "
                    + HEADER_BYTES + "-byte header");
        }
        int magic = (int) INT.get(block, 0);
        if (magic != MAGIC) {
            throw new KvBlockFormatException(String.format("not a KV block: magic 0x%08x, expected 0x%08x", magic, MAGIC));
        }
        int version = block[4] & 0xFF;
        if (version != VERSION) {
            throw new KvBlockFormatException("KV block format version " + version + ", this engine reads version " + VERSION);
        }
        return new Header(version, Encoding.ofId(block[5] & 0xFF), u16(block, 6), u16(block, 8), u16(block, 10),
                u16(block, 12));
    }

    /** float to bfloat16 bits with round-to-nearest-even; NaN stays a (quiet) NaN. */
    public static short toBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) {
            return (short) ((bits >>> 16) | 0x0040);
        }
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }

    public static float fromBf16(short b) {
        return Float.intBitsToFloat((b & 0xFFFF) << 16);
    }

    private static int putBf16(float[] src, int from, int n, byte[] out, int pos) {
        for (int i = 0; i < n; i++, pos += 2) {
            SHORT.set(out, pos, toBf16(src[from + i]));
        }
        return pos;
    }

    private static int getBf16(byte[] in, int pos, float[] dst, int to, int n) {
        for (int i = 0; i < n; i++, pos += 2) {
            dst[to + i] = fromBf16((short) SHORT.get(in, pos));
        }
        return pos;
    }

    private static int putInt8(float[] src, int from, int heads, int headDim, byte[] out, int pos) {
        int rows = T * heads; // one (token, head) row of headDim values per scale
        int qPos = pos + Float.BYTES * rows;
        for (int r = 0; r < rows; r++) {
            int base = from + r * headDim;
            float maxAbs = 0f;
            for (int d = 0; d < headDim; d++) {
                maxAbs = Math.max(maxAbs, Math.abs(src[base + d]));
            }
            float scale = maxAbs / 127f;
            FLOAT.set(out, pos + Float.BYTES * r, scale);
            float inv = scale == 0f ? 0f : 1f / scale;
            for (int d = 0; d < headDim; d++) {
                out[qPos++] = (byte) Math.max(-127, Math.min(127, Math.round(src[base + d] * inv)));
            }
        }
        return qPos;
    }

    private static int getInt8(byte[] in, int pos, float[] dst, int to, int heads, int headDim) {
        int rows = T * heads;
        int qPos = pos + Float.BYTES * rows;
        for (int r = 0; r < rows; r++) {
            float scale = (float) FLOAT.get(in, pos + Float.BYTES * r);
            int base = to + r * headDim;
            for (int d = 0; d < headDim; d++) {
                dst[base + d] = in[qPos++] * scale;
            }
        }
        return qPos;
    }

    private static int checkShape(float[][] k, float[][] v, int tokenOffset, int heads, int headDim) {
        if (k.length != v.length || k.length == 0) {
            throw new IllegalArgumentException("K and V need the same, non-zero number of layers: " + k.length + " vs " + v.length);
        }
        if (heads <= 0 || headDim <= 0 || tokenOffset < 0 || k.length > 0xFFFF || heads > 0xFFFF || headDim > 0xFFFF) {
            throw new IllegalArgumentException("bad shape: kvHeads=" + heads + " headDim=" + headDim + " tokenOffset=" + tokenOffset);
        }
        long end = (long) (tokenOffset + T) * heads * headDim;
        for (int l = 0; l < k.length; l++) {
            if (k[l].length < end || v[l].length < end) {
                throw new IllegalArgumentException("layer " + l + " K/V arrays (" + k[l].length + "/" + v[l].length
                        + " floats) do not cover tokens [" + tokenOffset + ", " + (tokenOffset + T) + ")");
            }
        }
        return k.length;
    }

    private static String describe(int layers, int heads, int headDim, int tokens) {
        return layers + " layers x " + heads + " kv heads x " + headDim + " head dim x " + tokens + " tokens";
    }

    private static int u16(byte[] b, int off) {
        return ((short) SHORT.get(b, off)) & 0xFFFF;
    }
}
