package io.moeserve.kvcache.client;

import io.lettuce.core.KeyValue;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.sync.RedisCommands;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The service's side of the schema: model policies, invalidation and statistics. Lives next to
 * {@link KvKeySchema} so the key layout stays in one module.
 */
public final class RedisKvAdmin {
    /** A model's statistics as Redis holds them (shared by every replica and every direct client). */
    public record ModelStats(String model, long hits, long misses, long bytesRead, long puts, long bytesWritten,
                             long evictions, long expired, long invalidated, long bytes, long blocks,
                             Long quotaBytes, Long ttlMs) {
    }

    private final RedisConnector redis;
    private final KvKeySchema schema;
    private final KvPolicy fallback;

    public RedisKvAdmin(RedisConnector redis, KvKeySchema schema, KvPolicy fallback) {
        this.redis = redis;
        this.schema = schema;
        this.fallback = fallback;
    }

    /** Makes {@code policy} the one every client (service or direct) applies to this model. */
    public void setPolicy(String modelId, KvPolicy policy) {
        redis.sync().hset(schema.policy(modelId), Map.of(
                b("quota_bytes"), RedisKvBlockStore.ascii(policy.quotaBytes()),
                b("ttl_ms"), RedisKvBlockStore.ascii(policy.ttl().toMillis())));
        redis.sync().sadd(schema.models(), b(modelId));
    }

    /** Deletes every block of a model, in batches; returns how many blocks were dropped. */
    public long invalidate(String modelId, int batch) {
        long dropped = 0;
        while (true) {
            List<Long> r = redis.eval(KvScripts.INVALIDATE, ScriptOutputType.MULTI, schema.scriptKeys(modelId),
                    schema.blockPrefix(modelId), RedisKvBlockStore.ascii(fallback.quotaBytes()),
                    RedisKvBlockStore.ascii(fallback.ttl().toMillis()), RedisKvBlockStore.ascii(batch));
            dropped += r.get(0);
            if (r.get(1) == 0) {
                return dropped;
            }
        }
    }

    public Set<String> models() {
        Set<String> out = new TreeSet<>();
        for (byte[] m : redis.sync().smembers(schema.models())) {
            out.add(new String(m, StandardCharsets.UTF_8));
        }
        return out;
    }

    public ModelStats stats(String modelId) {
        RedisCommands<byte[], byte[]> r = redis.sync();
        Map<String, Long> s = new HashMap<>();
        r.hgetall(schema.stats(modelId)).forEach((k, v) -> s.put(str(k), Long.parseLong(str(v))));
        byte[] bytes = r.get(schema.totalBytes(modelId));
        List<KeyValue<byte[], byte[]>> p = r.hmget(schema.policy(modelId), b("quota_bytes"), b("ttl_ms"));
        return new ModelStats(modelId, s.getOrDefault("hits", 0L), s.getOrDefault("misses", 0L),
                s.getOrDefault("bytes_read", 0L), s.getOrDefault("puts", 0L), s.getOrDefault("bytes_written", 0L),
                s.getOrDefault("evictions", 0L), s.getOrDefault("expired", 0L), s.getOrDefault("invalidated", 0L),
                bytes == null ? 0 : Long.parseLong(str(bytes)), r.zcard(schema.lru(modelId)),
                p.get(0).hasValue() ? Long.parseLong(str(p.get(0).getValue())) : null,
                p.get(1).hasValue() ? Long.parseLong(str(p.get(1).getValue())) : null);
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String str(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
