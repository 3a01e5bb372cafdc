package io.moeserve.kvcache.service;

import io.moeserve.kvcache.client.RedisKvAdmin;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Owns the publication of model policies (quota, TTL) into Redis, where the scripts of every client
 * read them: configured models at startup, any other model the first time it is seen. A publication
 * that fails (Redis away) is retried by the janitor.
 */
@Component
class KvPolicies {
    private static final Logger log = LoggerFactory.getLogger(KvPolicies.class);

    private final KvCacheProperties props;
    private final RedisKvAdmin admin;
    private final Set<String> published = ConcurrentHashMap.newKeySet();

    KvPolicies(KvCacheProperties props, RedisKvAdmin admin) {
        this.props = props;
        this.admin = admin;
    }

    /** Publishes the policy of {@code modelId} unless this process already did. Throws if Redis is away. */
    void ensurePublished(String modelId) {
        if (!published.contains(modelId)) {
            admin.setPolicy(modelId, props.policyFor(modelId));
            published.add(modelId);
        }
    }

    /**
     * (Re)writes the policy of every configured, seen or stored model; logs instead of failing. Always
     * writes, not only once: a Redis that restarted empty has lost the policies.
     */
    void publishAll() {
        try {
            Set<String> models = new TreeSet<>(props.models().keySet());
            models.addAll(published);
            models.addAll(admin.models());
            for (String model : models) {
                admin.setPolicy(model, props.policyFor(model));
                published.add(model);
            }
        } catch (RuntimeException e) {
            log.warn("cannot publish kv-cache policies yet (Redis unavailable?): {}", e.toString());
        }
    }
}
