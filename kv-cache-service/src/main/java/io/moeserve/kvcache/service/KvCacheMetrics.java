package io.moeserve.kvcache.service;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.moeserve.kvcache.client.RedisKvAdmin;
import io.moeserve.kvcache.client.RedisKvAdmin.ModelStats;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToDoubleFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Exports the cache's statistics, per model, as Micrometer meters ({@code moeserve_kvcache_hits_total},
 * {@code _misses_total}, {@code _evictions_total}, {@code _expired_total}, {@code _puts_total},
 * {@code _bytes_read_total}, {@code _bytes_written_total}; gauges {@code moeserve_kvcache_bytes},
 * {@code _blocks}, {@code _quota_bytes}). The numbers live in Redis because direct clients update
 * them too; meters read a snapshot refreshed by the janitor, so a scrape never waits on Redis.
 */
@Component
class KvCacheMetrics {
    private static final Logger log = LoggerFactory.getLogger(KvCacheMetrics.class);

    private final MeterRegistry registry;
    private final RedisKvAdmin admin;
    private final Map<String, ModelStats> snapshot = new ConcurrentHashMap<>();

    KvCacheMetrics(MeterRegistry registry, RedisKvAdmin admin) {
        this.registry = registry;
        this.admin = admin;
    }

    /** Re-reads every model's statistics; keeps the last snapshot if Redis is away. */
    List<ModelStats> refresh() {
        List<ModelStats> all = new ArrayList<>();
        try {
            for (String model : admin.models()) {
                ModelStats s = admin.stats(model);
                if (snapshot.put(model, s) == null) {
                    register(model);
                }
                all.add(s);
            }
        } catch (RuntimeException e) {
            log.debug("kv-cache stats not refreshed: {}", e.toString());
            return List.copyOf(snapshot.values());
        }
        return all;
    }

    private void register(String model) {
        counter("moeserve.kvcache.hits", "blocks found by lookups and reads", model, ModelStats::hits);
        counter("moeserve.kvcache.misses", "blocks asked for but not cached", model, ModelStats::misses);
        counter("moeserve.kvcache.evictions", "blocks evicted to stay within the quota", model, ModelStats::evictions);
        counter("moeserve.kvcache.expired", "blocks dropped by their TTL", model, ModelStats::expired);
        counter("moeserve.kvcache.puts", "new blocks stored", model, ModelStats::puts);
        counter("moeserve.kvcache.bytes.read", "block bytes served", model, ModelStats::bytesRead);
        counter("moeserve.kvcache.bytes.written", "block bytes stored", model, ModelStats::bytesWritten);
        gauge("moeserve.kvcache.bytes", "block bytes held", model, ModelStats::bytes);
        gauge("moeserve.kvcache.blocks", "blocks held", model, ModelStats::blocks);
        gauge("moeserve.kvcache.quota.bytes", "memory quota", model,
                s -> s.quotaBytes() == null ? Double.NaN : s.quotaBytes());
    }

    private void counter(String name, String help, String model, ToDoubleFunction<ModelStats> f) {
        FunctionCounter.builder(name, snapshot, m -> f.applyAsDouble(m.get(model)))
                .description(help).tag("model", model).register(registry);
    }

    private void gauge(String name, String help, String model, ToDoubleFunction<ModelStats> f) {
        Gauge.builder(name, snapshot, m -> f.applyAsDouble(m.get(model)))
                .description(help).tag("model", model).register(registry);
    }
}
