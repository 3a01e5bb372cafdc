package io.moeserve.kvcache.client;

import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.moeserve.core.kvcache.BlockHasher;
import io.moeserve.core.kvcache.BlockKey;
import io.moeserve.core.kvcache.KvBlockCodec;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;

/** Test data shaped like tiny-moe's KV (4 layers, 4 kv heads, head_dim 32) and namespace hygiene. */
public final class TestBlocks {
    public static final int LAYERS = 4, KV_HEADS = 4, HEAD_DIM = 32;

    private TestBlocks() {
    }

    /** A namespace no other test (or engineer) uses, so the shared Redis stays shareable. */
    public static String uniqueNamespace() {
        return "test:kv:" + UUID.randomUUID();
    }

    public static List<BlockKey> keys(String model, int blocks, long seed) {
        Random r = new Random(seed);
        int[] tokens = new int[blocks * BlockHasher.BLOCK_TOKENS];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = r.nextInt(4096);
        }
        return BlockHasher.chain(model, tokens);
    }

    /** A real BF16 block of random KV. */
    public static byte[] block(long seed) {
        Random r = new Random(seed);
        int n = BlockHasher.BLOCK_TOKENS * KV_HEADS * HEAD_DIM;
        float[][] k = new float[LAYERS][n], v = new float[LAYERS][n];
        for (int l = 0; l < LAYERS; l++) {
            for (int i = 0; i < n; i++) {
                k[l][i] = (float) r.nextGaussian();
                v[l][i] = (float) r.nextGaussian();
            }
        }
        return KvBlockCodec.encode(k, v, KV_HEADS, HEAD_DIM, KvBlockCodec.Encoding.BF16);
    }

    public static Map<BlockKey, byte[]> blocks(List<BlockKey> keys) {
        Map<BlockKey, byte[]> m = new LinkedHashMap<>();
        for (int i = 0; i < keys.size(); i++) {
            m.put(keys.get(i), block(keys.get(i).hashCode()));
        }
        return m;
    }

    /** Deletes every key under a namespace (test cleanup on a shared Redis). */
    public static void deleteNamespace(String redisUri, String namespace) {
        RedisClient client = RedisClient.create(redisUri);
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            ScanCursor cursor = ScanCursor.INITIAL;
            do {
                KeyScanCursor<String> page = c.sync().scan(cursor, ScanArgs.Builder.matches(namespace + ":*").limit(500));
                if (!page.getKeys().isEmpty()) {
                    c.sync().del(page.getKeys().toArray(String[]::new));
                }
                cursor = page;
            } while (!cursor.isFinished());
        } finally {
            client.shutdown();
        }
    }
}
