package io.moeserve.kvcache.service;

import io.moeserve.kvcache.client.RedisKvAdmin;
import io.moeserve.kvcache.client.RedisKvBlockStore;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/**
 * Periodic housekeeping: publishes policies (retrying while Redis was away), settles blocks that
 * expired on their own (their bytes and LRU entries) and applies quota changes even to models
 * nobody writes to, then refreshes the metrics snapshot.
 */
@Component
class KvJanitor {
    private static final Logger log = LoggerFactory.getLogger(KvJanitor.class);

    private final KvPolicies policies;
    private final RedisKvAdmin admin;
    private final RedisKvBlockStore store;
    private final KvCacheMetrics metrics;

    KvJanitor(KvPolicies policies, RedisKvAdmin admin, RedisKvBlockStore store, KvCacheMetrics metrics) {
        this.policies = policies;
        this.admin = admin;
        this.store = store;
        this.metrics = metrics;
    }

    @EventListener(ApplicationReadyEvent.class)
    void onStart() {
        run();
    }

    @Scheduled(fixedDelayString = "${moeserve.kvcache.janitor-interval:10s}",
               initialDelayString = "${moeserve.kvcache.janitor-interval:10s}")
    void run() {
        policies.publishAll();
        try {
            for (String model : admin.models()) {
                store.put(model, Map.of()); // n = 0: sweep expired, enforce the quota
            }
        } catch (RuntimeException e) {
            log.debug("kv-cache sweep skipped: {}", e.toString());
        }
        metrics.refresh();
    }
}
