package io.moeserve.kvcache.client;

import java.net.URI;
import java.time.Duration;

/**
 * Settings of a {@link KvCacheClient}. Defaults suit a router on the same host as Redis:
 * a 250 ms budget per call, the breaker opening after half of the last 10 calls failed and
 * probing again after 1 s, 2 writer threads behind a queue of 64 pending writes.
 *
 * @param redisUri        e.g. {@code redis://127.0.0.1:6379} (direct transport)
 * @param serviceUrl      e.g. {@code http://127.0.0.1:8083} (HTTP transport)
 * @param namespace       Redis key prefix, must match the service's
 * @param timeout         per call (connect, command, HTTP request)
 * @param fallbackPolicy  quota/TTL applied when the service has not published a model's policy
 */
public record KvCacheClientConfig(String redisUri, URI serviceUrl, String namespace, Duration timeout,
                                  KvPolicy fallbackPolicy, float failureRateThreshold, int slidingWindowSize,
                                  int minimumNumberOfCalls, Duration openStateWait, int writeThreads,
                                  int writeQueueCapacity) {

    public static KvCacheClientConfig defaults() {
        return new KvCacheClientConfig("redis://127.0.0.1:6379", URI.create("http://127.0.0.1:8083"),
                KvKeySchema.DEFAULT_NAMESPACE, Duration.ofMillis(250), KvPolicy.DEFAULT, 50f, 10, 4,
                Duration.ofSeconds(1), 2, 64);
    }

    public KvCacheClientConfig withRedisUri(String v) {
        return new KvCacheClientConfig(v, serviceUrl, namespace, timeout, fallbackPolicy, failureRateThreshold,
                slidingWindowSize, minimumNumberOfCalls, openStateWait, writeThreads, writeQueueCapacity);
    }

    public KvCacheClientConfig withServiceUrl(URI v) {
        return new KvCacheClientConfig(redisUri, v, namespace, timeout, fallbackPolicy, failureRateThreshold,
                slidingWindowSize, minimumNumberOfCalls, openStateWait, writeThreads, writeQueueCapacity);
    }

    public KvCacheClientConfig withNamespace(String v) {
        return new KvCacheClientConfig(redisUri, serviceUrl, v, timeout, fallbackPolicy, failureRateThreshold,
                slidingWindowSize, minimumNumberOfCalls, openStateWait, writeThreads, writeQueueCapacity);
    }

    public KvCacheClientConfig withTimeout(Duration v) {
        return new KvCacheClientConfig(redisUri, serviceUrl, namespace, v, fallbackPolicy, failureRateThreshold,
                slidingWindowSize, minimumNumberOfCalls, openStateWait, writeThreads, writeQueueCapacity);
    }

    public KvCacheClientConfig withFallbackPolicy(KvPolicy v) {
        return new KvCacheClientConfig(redisUri, serviceUrl, namespace, timeout, v, failureRateThreshold,
                slidingWindowSize, minimumNumberOfCalls, openStateWait, writeThreads, writeQueueCapacity);
    }

    public KvCacheClientConfig withOpenStateWait(Duration v) {
        return new KvCacheClientConfig(redisUri, serviceUrl, namespace, timeout, fallbackPolicy, failureRateThreshold,
                slidingWindowSize, minimumNumberOfCalls, v, writeThreads, writeQueueCapacity);
    }

    public KvCacheClientConfig withWriteQueue(int threads, int capacity) {
        return new KvCacheClientConfig(redisUri, serviceUrl, namespace, timeout, fallbackPolicy, failureRateThreshold,
                slidingWindowSize, minimumNumberOfCalls, openStateWait, threads, capacity);
    }
}
