package io.moeserve.kvcache.client;

import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.moeserve.core.kvcache.BlockKey;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a router holds: a {@link KvBlockStore} that never fails and never blocks for long. Calls go
 * through a circuit breaker; any failure (Redis or the service away, timeout) answers "miss" /
 * no-op, and once the breaker is open calls are skipped without touching the network until a
 * probe succeeds, so the cache is used again when it returns. Writes can be queued on a bounded
 * pool ({@link #putBlocksAsync}); a full queue drops the write and counts it.
 */
public final class KvCacheClient implements KvBlockStore {
    private static final Logger log = LoggerFactory.getLogger(KvCacheClient.class);

    /** Counters since this client started; block counts, not requests. */
    public record Stats(long hits, long misses, long degradedCalls, long writesQueued, long writesDone,
                        long writesDropped, long writesFailed, CircuitBreaker.State breakerState) {
    }

    private final KvBlockStore store;
    private final CircuitBreaker breaker;
    private final ThreadPoolExecutor writer;
    private final LongAdder hits = new LongAdder(), misses = new LongAdder(), degraded = new LongAdder(),
            queued = new LongAdder(), written = new LongAdder(), dropped = new LongAdder(), writeFailed = new LongAdder();

    public KvCacheClient(KvBlockStore store, KvCacheClientConfig config) {
        this.store = store;
        this.breaker = CircuitBreaker.of("kv-cache", CircuitBreakerConfig.custom()
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(config.slidingWindowSize())
                .minimumNumberOfCalls(config.minimumNumberOfCalls())
                .failureRateThreshold(config.failureRateThreshold())
                .waitDurationInOpenState(config.openStateWait())
                .permittedNumberOfCallsInHalfOpenState(2)
                .ignoreExceptions(IllegalArgumentException.class) // caller bugs are not outages
                .build());
        breaker.getEventPublisher().onStateTransition(e ->
                log.warn("shared KV cache breaker {}", e.getStateTransition()));
        AtomicInteger n = new AtomicInteger();
        this.writer = new ThreadPoolExecutor(config.writeThreads(), config.writeThreads(), 0, TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(config.writeQueueCapacity()), r -> {
                    Thread t = new Thread(r, "kv-cache-writer-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                }, new ThreadPoolExecutor.AbortPolicy());
    }

    /** Direct to Redis: the faster transport (see the module README for the measurement). */
    public static KvCacheClient direct(KvCacheClientConfig config) {
        return new KvCacheClient(RedisKvBlockStore.connect(config.redisUri(), new KvKeySchema(config.namespace()),
                config.fallbackPolicy(), config.timeout()), config);
    }

    /** Through kv-cache-service's binary HTTP API. */
    public static KvCacheClient http(KvCacheClientConfig config) {
        return new KvCacheClient(new HttpKvBlockStore(config.serviceUrl(), config.timeout()), config);
    }

    @Override
    public int longestPrefix(String modelId, List<BlockKey> keys) {
        int n = guarded(() -> store.longestPrefix(modelId, keys), 0);
        count(n, keys.size());
        return n;
    }

    @Override
    public List<byte[]> getBlocks(String modelId, List<BlockKey> keys) {
        List<byte[]> r = guarded(() -> store.getBlocks(modelId, keys), null);
        if (r == null) {
            count(0, keys.size());
            return new ArrayList<>(Collections.nCopies(keys.size(), null));
        }
        count((int) r.stream().filter(b -> b != null).count(), keys.size());
        return r;
    }

    @Override
    public List<byte[]> getPrefix(String modelId, List<BlockKey> keys) {
        List<byte[]> r = guarded(() -> store.getPrefix(modelId, keys), List.of());
        count(r.size(), keys.size());
        return r;
    }

    @Override
    public void putBlocks(String modelId, Map<BlockKey, byte[]> blocks) {
        guarded(() -> {
            store.putBlocks(modelId, blocks);
            return null;
        }, null);
    }

    /**
     * Queues a write and returns at once; false when it was dropped (queue full, or the cache is
     * known to be away). The map is copied; the byte arrays must not be modified afterwards.
     */
    public boolean putBlocksAsync(String modelId, Map<BlockKey, byte[]> blocks) {
        if (blocks.isEmpty()) {
            return true;
        }
        if (breaker.getState() == CircuitBreaker.State.OPEN) {
            dropped.increment();
            return false;
        }
        Map<BlockKey, byte[]> copy = new LinkedHashMap<>(blocks);
        try {
            writer.execute(() -> {
                try {
                    breaker.executeRunnable(() -> store.putBlocks(modelId, copy));
                    written.increment();
                } catch (RuntimeException e) {
                    writeFailed.increment();
                    log.debug("shared KV cache write skipped: {}", e.toString());
                }
            });
            queued.increment();
            return true;
        } catch (RejectedExecutionException e) {
            dropped.increment();
            return false;
        }
    }

    private <T> T guarded(Supplier<T> call, T whenDegraded) {
        try {
            return breaker.executeSupplier(call);
        } catch (IllegalArgumentException e) {
            throw e;
        } catch (CallNotPermittedException e) {
            degraded.increment();
            return whenDegraded;
        } catch (RuntimeException e) {
            degraded.increment();
            log.debug("shared KV cache call failed, serving without it: {}", e.toString());
            return whenDegraded;
        }
    }

    private void count(int hit, int asked) {
        hits.add(hit);
        misses.add(asked - hit);
    }

    /** True unless the breaker is open (the cache is known to be away). */
    public boolean available() {
        return breaker.getState() != CircuitBreaker.State.OPEN;
    }

    public CircuitBreaker circuitBreaker() {
        return breaker;
    }

    public Stats stats() {
        return new Stats(hits.sum(), misses.sum(), degraded.sum(), queued.sum(), written.sum(), dropped.sum(),
                writeFailed.sum(), breaker.getState());
    }

    /** Lets queued writes finish for up to 2 s, then closes the store. */
    @Override
    public void close() {
        writer.shutdown();
        try {
            writer.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        writer.shutdownNow();
        store.close();
    }
}
