package io.moeserve.kvcache.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.moeserve.core.kvcache.BlockKey;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Degraded mode against a real redis-server this test starts, kills and restarts on its own port. */
class KvCacheClientDegradedTest {
    static final String MODEL = "tiny-moe";
    static final List<BlockKey> KEYS = TestBlocks.keys(MODEL, 48, 42); // a 768-token prefix
    static final Map<BlockKey, byte[]> BLOCKS = TestBlocks.blocks(KEYS);

    RedisProcess redis;
    KvCacheClient client;

    @AfterEach
    void tearDown() {
        if (client != null) {
            client.close();
        }
        if (redis != null) {
            redis.close();
        }
    }

    /** A generous timeout (the machine is shared): failing fast must come from rejecting, not from timing out. */
    private KvCacheClient clientFor(RedisProcess r) {
        return KvCacheClient.direct(KvCacheClientConfig.defaults().withRedisUri(r.uri())
                .withTimeout(Duration.ofSeconds(1)).withOpenStateWait(Duration.ofMillis(300)));
    }

    private static void awaitQueuedWrites(KvCacheClient c) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (c.stats().writesQueued() > c.stats().writesDone() + c.stats().writesFailed() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
    }

    @Test
    void redisKilledMidUse_callsAnswerMissFast_thenHitsResumeAfterRestart() throws Exception {
        redis = RedisProcess.start();
        client = clientFor(redis);
        client.putBlocks(MODEL, BLOCKS);
        assertThat(client.getPrefix(MODEL, KEYS)).hasSize(48);

        redis.kill();
        long worstNanos = 0;
        for (int i = 0; i < 40; i++) {
            long t0 = System.nanoTime();
            assertThat(client.getPrefix(MODEL, KEYS)).isEmpty();
            assertThat(client.longestPrefix(MODEL, KEYS)).isZero();
            assertThat(client.getBlocks(MODEL, KEYS)).hasSize(48).containsOnlyNulls();
            client.putBlocks(MODEL, BLOCKS);
            assertThat(client.putBlocksAsync(MODEL, BLOCKS)).isFalse(); // the breaker is open by now or soon
            worstNanos = Math.max(worstNanos, System.nanoTime() - t0);
        }
        assertThat(Duration.ofNanos(worstNanos)).as("4 calls while Redis is down").isLessThan(Duration.ofMillis(900));
        assertThat(client.stats().breakerState()).isEqualTo(CircuitBreaker.State.OPEN);
        assertThat(client.stats().degradedCalls()).isGreaterThan(100);

        redis.restart(); // comes back empty: no persistence
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        int hits = 0;
        while (hits < 48 && System.nanoTime() < deadline) {
            client.putBlocks(MODEL, BLOCKS);
            hits = client.getPrefix(MODEL, KEYS).size();
            Thread.sleep(50);
        }
        assertThat(hits).as("hits resume after Redis restarts").isEqualTo(48);
        assertThat(client.available()).isTrue();
    }

    @Test
    void clientStartedWhileRedisDown_usesTheCacheOnceItAppears() throws Exception {
        redis = RedisProcess.notStarted();
        client = clientFor(redis);
        assertThat(client.getPrefix(MODEL, KEYS)).isEmpty();
        client.putBlocks(MODEL, BLOCKS); // no-op, no exception

        redis.restart();
        // the failures from before Redis appeared may still open the breaker once: allow its wait
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        int hits = 0;
        while (hits < 48 && System.nanoTime() < deadline) {
            client.putBlocksAsync(MODEL, BLOCKS);
            awaitQueuedWrites(client);
            hits = client.getPrefix(MODEL, KEYS).size();
            Thread.sleep(50);
        }
        assertThat(hits).as("%s", client.stats()).isEqualTo(48);
        assertThat(client.stats().writesDone()).isPositive();
    }

    @Test
    void scriptCacheFlushed_scriptsAreReloadedTransparently() {
        redis = RedisProcess.start();
        client = clientFor(redis);
        client.putBlocks(MODEL, BLOCKS);
        RedisClient raw = RedisClient.create(redis.uri());
        try (StatefulRedisConnection<String, String> c = raw.connect()) {
            c.sync().scriptFlush();
        } finally {
            raw.shutdown();
        }
        assertThat(client.getPrefix(MODEL, KEYS)).hasSize(48);
        assertThat(client.stats().degradedCalls()).isZero();
    }
}
