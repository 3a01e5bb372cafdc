package io.moeserve.core.kvcache;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;

/**
 * Owns the prefix-addressing rule of the shared KV cache: a block's key is
 * SHA-256(parentKey || modelId UTF-8 || 16 token ids as little-endian int32), the first
 * block's parent being {@link BlockKey#ROOT}. Because a key depends on every token before it,
 * equal prefixes give equal keys on every replica and a key never names two different prefixes.
 */
public final class BlockHasher {
    /** Tokens per KV block; only full blocks are ever cached. */
    public static final int BLOCK_TOKENS = 16;

    private BlockHasher() {
    }

    /** Keys of every full block of {@code tokens}, in prompt order (a trailing partial block has none). */
    public static List<BlockKey> chain(String modelId, int[] tokens) {
        return chain(modelId, tokens, tokens.length);
    }

    /** Keys of the full blocks among the first {@code length} tokens. */
    public static List<BlockKey> chain(String modelId, int[] tokens, int length) {
        if (length < 0 || length > tokens.length) {
            throw new IllegalArgumentException("length " + length + " outside [0, " + tokens.length + "]");
        }
        MessageDigest sha = sha256();
        byte[] model = modelId.getBytes(StandardCharsets.UTF_8);
        byte[] tokenBytes = new byte[BLOCK_TOKENS * Integer.BYTES];
        int blocks = length / BLOCK_TOKENS;
        List<BlockKey> keys = new ArrayList<>(blocks);
        BlockKey parent = BlockKey.ROOT;
        for (int b = 0; b < blocks; b++) {
            parent = next(sha, parent, model, tokens, b * BLOCK_TOKENS, tokenBytes);
            keys.add(parent);
        }
        return keys;
    }

    /** Key of the block of tokens[offset, offset+16) whose parent is {@code parent}. */
    public static BlockKey next(BlockKey parent, String modelId, int[] tokens, int offset) {
        if (offset < 0 || offset + BLOCK_TOKENS > tokens.length) {
            throw new IllegalArgumentException("no full block at offset " + offset + " of " + tokens.length + " tokens");
        }
        return next(sha256(), parent, modelId.getBytes(StandardCharsets.UTF_8), tokens, offset,
                new byte[BLOCK_TOKENS * Integer.BYTES]);
    }

    private static BlockKey next(MessageDigest sha, BlockKey parent, byte[] model, int[] tokens, int offset,
                                 byte[] scratch) {
        for (int i = 0; i < BLOCK_TOKENS; i++) {
            int t = tokens[offset + i];
            scratch[4 * i] = (byte) t;
            scratch[4 * i + 1] = (byte) (t >>> 8);
            scratch[4 * i + 2] = (byte) (t >>> 16);
            scratch[4 * i + 3] = (byte) (t >>> 24);
        }
        sha.reset();
        sha.update(parent.toBytes());
        sha.update(model);
        sha.update(scratch);
        return BlockKey.of(sha.digest());
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is mandatory in every JDK", e);
        }
    }
}
