package io.moeserve.kvcache.client;

import io.moeserve.core.kvcache.BlockKey;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Blocks through kv-cache-service's binary HTTP API ({@link KvWire} bodies). Every request has a
 * timeout; a non-2xx answer or transport error is a {@link KvStoreException}.
 */
public final class HttpKvBlockStore implements KvBlockStore {
    private final HttpClient http;
    private final String base;
    private final Duration timeout;

    public HttpKvBlockStore(URI serviceUrl, Duration timeout) {
        String s = serviceUrl.toString();
        this.base = s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(timeout).build();
    }

    @Override
    public int longestPrefix(String modelId, List<BlockKey> keys) {
        if (keys.isEmpty()) {
            return 0;
        }
        return KvWire.decodeCount(post(modelId, "/lookup", KvWire.encodeKeys(keys)));
    }

    @Override
    public List<byte[]> getBlocks(String modelId, List<BlockKey> keys) {
        return keys.isEmpty() ? List.of() : KvWire.decodeBlocks(post(modelId, "/get", KvWire.encodeKeys(keys)));
    }

    @Override
    public List<byte[]> getPrefix(String modelId, List<BlockKey> keys) {
        return keys.isEmpty() ? List.of()
                : KvWire.decodeBlocks(post(modelId, "/get?prefix=true", KvWire.encodeKeys(keys)));
    }

    @Override
    public void putBlocks(String modelId, Map<BlockKey, byte[]> blocks) {
        if (!blocks.isEmpty()) {
            post(modelId, "/put", KvWire.encodePut(blocks));
        }
    }

    private byte[] post(String modelId, String op, byte[] body) {
        KvKeySchema.checkModelId(modelId);
        // '/' in a model id travels as %2F; the service keeps it inside the path variable
        String model = URLEncoder.encode(modelId, StandardCharsets.UTF_8).replace("+", "%20");
        HttpRequest req = HttpRequest.newBuilder(URI.create(base + "/v1/kv/" + model + op))
                .timeout(timeout)
                .header("Content-Type", KvWire.CONTENT_TYPE)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
        HttpResponse<byte[]> resp;
        try {
            resp = http.send(req, HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new KvStoreException("kv-cache-service " + op + " failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KvStoreException("interrupted", e);
        }
        if (resp.statusCode() / 100 != 2) {
            throw new KvStoreException("kv-cache-service " + op + " answered " + resp.statusCode() + ": "
                    + new String(resp.body(), StandardCharsets.UTF_8));
        }
        return resp.body();
    }

    @Override
    public void close() {
        http.close();
    }
}
