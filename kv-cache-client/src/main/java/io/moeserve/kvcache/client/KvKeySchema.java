package io.moeserve.kvcache.client;

import io.moeserve.core.kvcache.BlockKey;
import java.nio.charset.StandardCharsets;

/**
 * The Redis key layout of the shared KV cache, defined here and only here: the service and every
 * direct client build their keys with this class and run the same scripts ({@link KvScripts}).
 *
 * <pre>
 * {ns}:{model}:b:{hex}   block bytes (string, sliding TTL)
 * {ns}:{model}:lru       zset: member = block hex, score = last touch (us, Redis clock)
 * {ns}:{model}:bytes     bytes held by the model (int)
 * {ns}:{model}:sizes     hash: block hex -> bytes (settles blocks that expired on their own)
 * {ns}:{model}:stats     hash: hits, misses, bytes_read, puts, bytes_written, evictions, expired, invalidated
 * {ns}:{model}:policy    hash: quota_bytes, ttl_ms (written by the service; clients fall back to theirs)
 * {ns}:models            set of model ids seen
 * </pre>
 * The model id sits in a hash tag ({@code {model}}) so all keys of a model share one cluster slot,
 * which the scripts need.
 */
public final class KvKeySchema {
    public static final String DEFAULT_NAMESPACE = "moe:kv";
    static final int SCRIPT_KEYS = 6;

    private final String namespace;

    public KvKeySchema(String namespace) {
        if (namespace == null || namespace.isBlank() || namespace.contains("{") || namespace.contains("}")) {
            throw new IllegalArgumentException("bad kv-cache namespace: '" + namespace + "'");
        }
        this.namespace = namespace;
    }

    public String namespace() {
        return namespace;
    }

    /** Rejects ids that would break the hash tag or the key layout. */
    public static String checkModelId(String modelId) {
        if (modelId == null || modelId.isEmpty() || modelId.length() > 256) {
            throw new IllegalArgumentException("model id must be 1..256 characters");
        }
        for (int i = 0; i < modelId.length(); i++) {
            char c = modelId.charAt(i);
            if (c == '{' || c == '}' || Character.isWhitespace(c) || Character.isISOControl(c)) {
                throw new IllegalArgumentException("model id '" + modelId + "' contains '" + c + "' (braces, spaces and control characters are not allowed)");
            }
        }
        return modelId;
    }

    private String model(String modelId) {
        return namespace + ":{" + checkModelId(modelId) + "}:";
    }

    public byte[] blockPrefix(String modelId) {
        return bytes(model(modelId) + "b:");
    }

    public byte[] blockKey(String modelId, BlockKey key) {
        return bytes(model(modelId) + "b:" + key.hex());
    }

    /** A block's member in the lru zset and sizes hash: its hex, so the key is prefix + member. */
    public static byte[] member(BlockKey key) {
        return bytes(key.hex());
    }

    public byte[] lru(String modelId) {
        return bytes(model(modelId) + "lru");
    }

    public byte[] totalBytes(String modelId) {
        return bytes(model(modelId) + "bytes");
    }

    public byte[] sizes(String modelId) {
        return bytes(model(modelId) + "sizes");
    }

    public byte[] stats(String modelId) {
        return bytes(model(modelId) + "stats");
    }

    public byte[] policy(String modelId) {
        return bytes(model(modelId) + "policy");
    }

    public byte[] models() {
        return bytes(namespace + ":models");
    }

    /** KEYS of every script, in the order common.lua names them. */
    byte[][] scriptKeys(String modelId) {
        return new byte[][] {lru(modelId), totalBytes(modelId), sizes(modelId), stats(modelId), policy(modelId), models()};
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
