package io.moeserve.kvcache.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.moeserve.core.kvcache.BlockKey;
import io.moeserve.core.kvcache.KvBlockCodec;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Against the machine's real Redis (127.0.0.1:6379), each test in its own namespace. */
class RedisKvBlockStoreTest {
    static final String REDIS = "redis://127.0.0.1:6379";
    static final String MODEL = "tiny-moe";

    String namespace;
    RedisConnector redis;
    RedisKvBlockStore store;
    RedisKvAdmin admin;

    @BeforeEach
    void setUp() {
        namespace = TestBlocks.uniqueNamespace();
        redis = new RedisConnector(REDIS, Duration.ofSeconds(2));
        KvKeySchema schema = new KvKeySchema(namespace);
        store = new RedisKvBlockStore(redis, schema, KvPolicy.DEFAULT);
        admin = new RedisKvAdmin(redis, schema, KvPolicy.DEFAULT);
    }

    @AfterEach
    void tearDown() {
        redis.close();
        TestBlocks.deleteNamespace(REDIS, namespace);
    }

    @Test
    void putThenGet_returnsTheSameBytes_andTheBlockDecodes() {
        List<BlockKey> keys = TestBlocks.keys(MODEL, 3, 1);
        Map<BlockKey, byte[]> blocks = TestBlocks.blocks(keys);
        store.putBlocks(MODEL, blocks);

        List<byte[]> got = store.getBlocks(MODEL, keys);
        for (int i = 0; i < keys.size(); i++) {
            assertThat(got.get(i)).isEqualTo(blocks.get(keys.get(i)));
        }
        float[][] k = new float[4][16 * 4 * 32], v = new float[4][16 * 4 * 32];
        KvBlockCodec.decode(got.get(2), k, v, TestBlocks.KV_HEADS, TestBlocks.HEAD_DIM); // throws if misread
    }

    @Test
    void longestPrefix_countsOnlyLeadingPresentBlocks() {
        List<BlockKey> keys = TestBlocks.keys(MODEL, 6, 2);
        Map<BlockKey, byte[]> all = TestBlocks.blocks(keys);
        Map<BlockKey, byte[]> some = new LinkedHashMap<>();
        for (int i : new int[] {0, 1, 2, 4}) {
            some.put(keys.get(i), all.get(keys.get(i)));
        }
        store.putBlocks(MODEL, some);

        assertThat(store.longestPrefix(MODEL, keys)).isEqualTo(3);
        assertThat(store.longestPrefix(MODEL, keys.subList(3, 6))).isZero();
        assertThat(store.getPrefix(MODEL, keys)).hasSize(3)
                .containsExactly(all.get(keys.get(0)), all.get(keys.get(1)), all.get(keys.get(2)));
        List<byte[]> got = store.getBlocks(MODEL, keys);
        assertThat(got).hasSize(6);
        assertThat(got.get(3)).isNull();
        assertThat(got.get(4)).isEqualTo(all.get(keys.get(4)));
        assertThat(got.get(5)).isNull();
    }

    @Test
    void otherModelsBlocksAreInvisible() {
        List<BlockKey> keys = TestBlocks.keys(MODEL, 2, 3);
        store.putBlocks(MODEL, TestBlocks.blocks(keys));
        assertThat(store.longestPrefix("other-model", keys)).isZero();
    }

    @Test
    void quota_evictsTheLeastRecentlyUsedBlock() throws Exception {
        List<BlockKey> k = TestBlocks.keys(MODEL, 4, 4);
        Map<BlockKey, byte[]> b = TestBlocks.blocks(k);
        int size = b.get(k.get(0)).length;
        admin.setPolicy(MODEL, new KvPolicy(3L * size + size / 2, Duration.ZERO));
        for (int i = 0; i < 3; i++) {
            store.putBlocks(MODEL, Map.of(k.get(i), b.get(k.get(i))));
            Thread.sleep(3);
        }
        store.getBlocks(MODEL, List.of(k.get(0))); // A is now more recent than B and C
        Thread.sleep(3);

        RedisKvBlockStore.PutResult r = store.put(MODEL, Map.of(k.get(3), b.get(k.get(3))));

        assertThat(r.evicted()).isEqualTo(1);
        List<byte[]> got = store.getBlocks(MODEL, k);
        assertThat(got.get(0)).isNotNull();
        assertThat(got.get(1)).as("B was least recently used").isNull();
        assertThat(got.get(2)).isNotNull();
        assertThat(got.get(3)).isNotNull();
        RedisKvAdmin.ModelStats s = admin.stats(MODEL);
        assertThat(s.bytes()).isEqualTo(3L * size).isLessThanOrEqualTo(s.quotaBytes());
        assertThat(s.blocks()).isEqualTo(3);
        assertThat(s.evictions()).isEqualTo(1);
    }

    @Test
    void quota_atEqualRecencyEvictsChildrenBeforeParents() {
        List<BlockKey> chain = TestBlocks.keys(MODEL, 4, 5);
        Map<BlockKey, byte[]> b = TestBlocks.blocks(chain);
        int size = b.get(chain.get(0)).length;
        admin.setPolicy(MODEL, new KvPolicy(4L * size, Duration.ZERO));
        store.putBlocks(MODEL, b);
        store.putBlocks(MODEL, TestBlocks.blocks(TestBlocks.keys(MODEL, 1, 99)));

        assertThat(store.longestPrefix(MODEL, chain)).isEqualTo(3);
        assertThat(store.getBlocks(MODEL, chain).get(3)).isNull();
    }

    @Test
    void ttl_dropsUntouchedBlocks_keepsTouchedOnes_andSettlesTheirBytes() throws Exception {
        admin.setPolicy(MODEL, new KvPolicy(1L << 30, Duration.ofMillis(2000)));
        List<BlockKey> kept = TestBlocks.keys(MODEL, 1, 6);
        List<BlockKey> dropped = TestBlocks.keys(MODEL, 2, 7);
        store.putBlocks(MODEL, TestBlocks.blocks(kept));
        store.putBlocks(MODEL, TestBlocks.blocks(dropped));
        Thread.sleep(1200);
        assertThat(store.getPrefix(MODEL, kept)).hasSize(1); // touch: its TTL restarts
        Thread.sleep(1200);

        assertThat(store.getPrefix(MODEL, kept)).as("touched 1.2 s ago, ttl 2 s").hasSize(1);
        assertThat(store.getBlocks(MODEL, dropped)).containsOnlyNulls();
        store.put(MODEL, Map.of()); // a sweep, as the service's janitor runs it
        RedisKvAdmin.ModelStats s = admin.stats(MODEL);
        assertThat(s.blocks()).isEqualTo(1);
        assertThat(s.bytes()).isEqualTo(TestBlocks.blocks(kept).values().iterator().next().length);
        assertThat(s.expired()).isEqualTo(2);
    }

    @Test
    void invalidate_dropsEveryBlockOfThatModelOnly() {
        List<BlockKey> a = TestBlocks.keys("model-a", 5, 8);
        List<BlockKey> b = TestBlocks.keys("model-b", 5, 9);
        store.putBlocks("model-a", TestBlocks.blocks(a));
        store.putBlocks("model-b", TestBlocks.blocks(b));

        assertThat(admin.invalidate("model-a", 2)).isEqualTo(5);

        assertThat(store.longestPrefix("model-a", a)).isZero();
        assertThat(store.longestPrefix("model-b", b)).isEqualTo(5);
        assertThat(admin.stats("model-a").bytes()).isZero();
        assertThat(admin.stats("model-a").invalidated()).isEqualTo(5);
        assertThat(admin.models()).containsExactly("model-a", "model-b");
    }

    @Test
    void stats_countHitsMissesAndBytes() {
        List<BlockKey> keys = TestBlocks.keys(MODEL, 4, 10);
        Map<BlockKey, byte[]> blocks = TestBlocks.blocks(keys.subList(0, 2));
        int size = blocks.values().iterator().next().length;
        store.putBlocks(MODEL, blocks);
        store.putBlocks(MODEL, blocks); // same content again: no new bytes

        store.getPrefix(MODEL, keys); // 2 hits, 2 misses
        store.longestPrefix(MODEL, keys); // 2 hits, 2 misses

        RedisKvAdmin.ModelStats s = admin.stats(MODEL);
        assertThat(s.hits()).isEqualTo(4);
        assertThat(s.misses()).isEqualTo(4);
        assertThat(s.puts()).isEqualTo(2);
        assertThat(s.bytesWritten()).isEqualTo(2L * size);
        assertThat(s.bytesRead()).isEqualTo(2L * size);
        assertThat(s.bytes()).isEqualTo(2L * size);
        assertThat(s.quotaBytes()).isNull(); // no policy published: the client's fallback applied
    }

    @Test
    void badModelIds_areRejectedBeforeReachingRedis() {
        List<BlockKey> keys = TestBlocks.keys(MODEL, 1, 11);
        assertThatThrownBy(() -> store.longestPrefix("evil}{model", keys)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.longestPrefix("has space", keys)).isInstanceOf(IllegalArgumentException.class);
        assertThat(store.longestPrefix("org/model-1.5", keys)).isZero();
    }
}
