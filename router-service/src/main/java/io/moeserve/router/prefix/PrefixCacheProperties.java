package io.moeserve.router.prefix;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.time.Duration;

/**
 * The shared prefix cache ({@code moeserve.router.prefix-cache.*}).
 *
 * @param enabled    off by default: a router alone needs no Redis
 * @param transport  {@code redis}: straight to Redis with the client library (the faster, measured in
 *                   kv-cache-client's README); {@code http}: through kv-cache-service's binary API
 * @param encoding   {@code bf16} (default) or {@code int8} (per-head scales, half the bytes)
 * @param timeout    budget of one cache call; past it the request proceeds without the cache
 */
@ConfigurationProperties("moeserve.router.prefix-cache")
public record PrefixCacheProperties(
        @DefaultValue("false") boolean enabled,
        @DefaultValue("redis") String transport,
        @DefaultValue("redis://127.0.0.1:6379") String redisUri,
        @DefaultValue("http://127.0.0.1:8083") String serviceUrl,
        @DefaultValue("moe:kv") String namespace,
        @DefaultValue("bf16") String encoding,
        @DefaultValue("250ms") Duration timeout) {
}
