package io.moeserve.kvcache.client;

import java.time.Duration;

/**
 * How much of Redis a model's blocks may hold and how long an untouched block lives.
 * {@code ttl} zero means blocks live until evicted.
 */
public record KvPolicy(long quotaBytes, Duration ttl) {
    public static final KvPolicy DEFAULT = new KvPolicy(256L << 20, Duration.ofHours(1));

    public KvPolicy {
        if (quotaBytes <= 0) {
            throw new IllegalArgumentException("quotaBytes must be positive, got " + quotaBytes);
        }
        if (ttl == null || ttl.isNegative()) {
            throw new IllegalArgumentException("ttl must be zero or positive, got " + ttl);
        }
    }
}
