package io.moeserve.kvcache.service;

import io.moeserve.kvcache.client.KvPolicy;
import java.time.Duration;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * Settings of the cache (prefix {@code moeserve.kvcache}); Redis itself comes from {@code spring.data.redis.*}.
 *
 * @param namespace       Redis key prefix shared with direct clients
 * @param redisTimeout    budget of one Redis call; a slower Redis is treated as down (503)
 * @param defaultPolicy   quota and TTL of a model not listed in {@code models}
 * @param models          per-model overrides, by model id
 * @param janitorInterval how often expired blocks are settled and metrics refreshed
 * @param invalidateBatch blocks deleted per script call when a model is invalidated
 */
@ConfigurationProperties("moeserve.kvcache")
public record KvCacheProperties(@DefaultValue("moe:kv") String namespace,
                                @DefaultValue("500ms") Duration redisTimeout,
                                @DefaultValue Policy defaultPolicy,
                                Map<String, Policy> models,
                                @DefaultValue("10s") Duration janitorInterval,
                                @DefaultValue("1000") int invalidateBatch) {

    public KvCacheProperties {
        models = models == null ? Map.of() : Map.copyOf(models);
    }

    /** A model's memory quota and the TTL of an untouched block (0 = no TTL). */
    public record Policy(@DefaultValue("256MB") DataSize quota, @DefaultValue("1h") Duration ttl) {
        public KvPolicy toKvPolicy() {
            return new KvPolicy(quota.toBytes(), ttl);
        }
    }

    public KvPolicy policyFor(String modelId) {
        return models.getOrDefault(modelId, defaultPolicy).toKvPolicy();
    }
}
