package io.moeserve.kvcache.client;

import io.moeserve.core.kvcache.BlockKey;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The bodies of the service's binary HTTP API ({@code application/octet-stream}, little-endian),
 * shared by the service and {@link HttpKvBlockStore}:
 * <ul>
 * <li>keys (lookup/get request): concatenated 32-byte keys, prompt order</li>
 * <li>count (lookup response): u32</li>
 * <li>blocks (get response): u32 n, then n x (i32 length, -1 = missing; bytes)</li>
 * <li>put request: u32 n, then n x (32-byte key, u32 length, bytes)</li>
 * </ul>
 * Decoders reject malformed bodies with IllegalArgumentException naming the problem.
 */
public final class KvWire {
    public static final String CONTENT_TYPE = "application/octet-stream";
    /** 4096 blocks = 65,536 tokens: more than any context we serve; bounds request memory. */
    public static final int MAX_BLOCKS = 4096;

    private KvWire() {
    }

    public static byte[] encodeKeys(List<BlockKey> keys) {
        byte[] out = new byte[keys.size() * BlockKey.BYTES];
        for (int i = 0; i < keys.size(); i++) {
            keys.get(i).writeTo(out, i * BlockKey.BYTES);
        }
        return out;
    }

    public static List<BlockKey> decodeKeys(byte[] body) {
        if (body.length % BlockKey.BYTES != 0) {
            throw new IllegalArgumentException("body of " + body.length + " bytes is not a list of 32-byte block keys");
        }
        int n = checkCount(body.length / BlockKey.BYTES);
        List<BlockKey> keys = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            keys.add(BlockKey.read(body, i * BlockKey.BYTES));
        }
        return keys;
    }

    public static byte[] encodeCount(int n) {
        return le(4).putInt(n).array();
    }

    public static int decodeCount(byte[] body) {
        if (body.length != 4) {
            throw new IllegalArgumentException("count body must be 4 bytes, got " + body.length);
        }
        return ByteBuffer.wrap(body).order(ByteOrder.LITTLE_ENDIAN).getInt();
    }

    public static byte[] encodeBlocks(List<byte[]> blocks) {
        int size = 4;
        for (byte[] b : blocks) {
            size += 4 + (b == null ? 0 : b.length);
        }
        ByteBuffer out = le(size).putInt(blocks.size());
        for (byte[] b : blocks) {
            if (b == null) {
                out.putInt(-1);
            } else {
                out.putInt(b.length).put(b);
            }
        }
        return out.array();
    }

    public static List<byte[]> decodeBlocks(byte[] body) {
        ByteBuffer in = ByteBuffer.wrap(body).order(ByteOrder.LITTLE_ENDIAN);
        int n = checkCount(need(in, 4).getInt());
        List<byte[]> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int len = need(in, 4).getInt();
            if (len < -1) {
                throw new IllegalArgumentException("block " + i + " has length " + len);
            }
            out.add(len == -1 ? null : take(in, len));
        }
        end(in);
        return out;
    }

    public static byte[] encodePut(Map<BlockKey, byte[]> blocks) {
        int size = 4;
        for (byte[] b : blocks.values()) {
            size += BlockKey.BYTES + 4 + b.length;
        }
        ByteBuffer out = le(size).putInt(blocks.size());
        byte[] key = new byte[BlockKey.BYTES];
        for (Map.Entry<BlockKey, byte[]> e : blocks.entrySet()) {
            e.getKey().writeTo(key, 0);
            out.put(key).putInt(e.getValue().length).put(e.getValue());
        }
        return out.array();
    }

    /** Keeps the request's order (prompt order), which eviction relies on. */
    public static LinkedHashMap<BlockKey, byte[]> decodePut(byte[] body) {
        ByteBuffer in = ByteBuffer.wrap(body).order(ByteOrder.LITTLE_ENDIAN);
        int n = checkCount(need(in, 4).getInt());
        LinkedHashMap<BlockKey, byte[]> out = LinkedHashMap.newLinkedHashMap(n);
        for (int i = 0; i < n; i++) {
            BlockKey key = BlockKey.of(take(in, BlockKey.BYTES));
            int len = need(in, 4).getInt();
            if (len <= 0) {
                throw new IllegalArgumentException("block " + i + " has length " + len + "; blocks are never empty");
            }
            out.put(key, take(in, len));
        }
        end(in);
        return out;
    }

    private static int checkCount(int n) {
        if (n < 0 || n > MAX_BLOCKS) {
            throw new IllegalArgumentException(n + " blocks in one request; the limit is " + MAX_BLOCKS);
        }
        return n;
    }

    private static ByteBuffer need(ByteBuffer in, int n) {
        if (in.remaining() < n) {
            throw new IllegalArgumentException("body truncated at byte " + in.position());
        }
        return in;
    }

    private static byte[] take(ByteBuffer in, int n) {
        byte[] b = new byte[n];
        need(in, n).get(b);
        return b;
    }

    private static void end(ByteBuffer in) {
        if (in.hasRemaining()) {
            throw new IllegalArgumentException(in.remaining() + " trailing bytes after the last block");
        }
    }

    private static ByteBuffer le(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }
}
