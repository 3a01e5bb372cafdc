package io.moeserve.kvcache.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.moeserve.core.kvcache.BlockKey;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Unit tests of the wrapper's policies with fake stores (the real-Redis behaviour is in KvCacheClientDegradedTest). */
class KvCacheClientBreakerTest {
    static final List<BlockKey> KEYS = TestBlocks.keys("m", 2, 1);
    static final KvCacheClientConfig CONFIG = KvCacheClientConfig.defaults().withOpenStateWait(Duration.ofMinutes(1));

    /** Fails (or blocks) every call and counts how many reached it. */
    static class FakeStore implements KvBlockStore {
        final AtomicInteger calls = new AtomicInteger();
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release;

        FakeStore(CountDownLatch release) {
            this.release = release;
        }

        private void call() {
            calls.incrementAndGet();
            if (release == null) {
                throw new KvStoreException("down");
            }
            entered.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        public int longestPrefix(String m, List<BlockKey> k) {
            call();
            return k.size();
        }

        public List<byte[]> getBlocks(String m, List<BlockKey> k) {
            call();
            return List.of();
        }

        public List<byte[]> getPrefix(String m, List<BlockKey> k) {
            call();
            return List.of();
        }

        public void putBlocks(String m, Map<BlockKey, byte[]> b) {
            call();
        }

        public void close() {
        }
    }

    @Test
    void failingStore_answersMiss_opensBreaker_andStopsBeingCalled() {
        FakeStore store = new FakeStore(null);
        try (KvCacheClient client = new KvCacheClient(store, CONFIG)) {
            for (int i = 0; i < 50; i++) {
                assertThat(client.longestPrefix("m", KEYS)).isZero();
                assertThat(client.getBlocks("m", KEYS)).hasSize(2).containsOnlyNulls();
            }
            assertThat(client.circuitBreaker().getState()).isEqualTo(CircuitBreaker.State.OPEN);
            assertThat(store.calls.get()).as("calls after the breaker opened never reach the store").isLessThan(10);
            assertThat(client.stats().degradedCalls()).isEqualTo(100);
            assertThat(client.stats().misses()).isEqualTo(200);
        }
    }

    @Test
    void fullWriteQueue_dropsWritesWithoutBlockingTheCaller() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        FakeStore store = new FakeStore(release);
        Map<BlockKey, byte[]> blocks = Map.of(KEYS.get(0), new byte[] {1});
        try (KvCacheClient client = new KvCacheClient(store, CONFIG.withWriteQueue(1, 2))) {
            assertThat(client.putBlocksAsync("m", blocks)).isTrue();
            assertThat(store.entered.await(5, TimeUnit.SECONDS)).isTrue(); // the one writer is now stuck
            long t0 = System.nanoTime();
            boolean[] accepted = new boolean[4];
            for (int i = 0; i < 4; i++) {
                accepted[i] = client.putBlocksAsync("m", blocks);
            }
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofMillis(100));
            assertThat(accepted).containsExactly(true, true, false, false);
            assertThat(client.stats().writesDropped()).isEqualTo(2);

            release.countDown();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (client.stats().writesDone() < 3 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(client.stats().writesDone()).isEqualTo(3);
        }
    }

    @Test
    void callerBugs_propagate_andDoNotOpenTheBreaker() {
        try (KvCacheClient client = new KvCacheClient(
                RedisKvBlockStore.connect("redis://127.0.0.1:6379", new KvKeySchema(TestBlocks.uniqueNamespace()),
                        KvPolicy.DEFAULT, Duration.ofSeconds(1)), CONFIG)) {
            for (int i = 0; i < 20; i++) {
                assertThatThrownBy(() -> client.longestPrefix("bad{id}", KEYS))
                        .isInstanceOf(IllegalArgumentException.class);
            }
            assertThat(client.available()).isTrue();
        }
    }
}
