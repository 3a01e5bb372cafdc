package io.moeserve.kvcache.service;

import io.moeserve.core.kvcache.BlockKey;
import io.moeserve.kvcache.client.KvKeySchema;
import io.moeserve.kvcache.client.KvWire;
import io.moeserve.kvcache.client.RedisKvAdmin;
import io.moeserve.kvcache.client.RedisKvBlockStore;
import java.util.List;
import java.util.Map;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * The binary block API (bodies per {@link KvWire}) and the JSON admin endpoints. Block data is
 * opaque here: the service never decodes a block, it only stores what routers encoded.
 */
@RestController
@RequestMapping("/v1/kv")
class KvBlockController {
    private static final String OCTET = KvWire.CONTENT_TYPE;

    private final RedisKvBlockStore store;
    private final RedisKvAdmin admin;
    private final KvPolicies policies;
    private final KvCacheProperties props;
    private final KvCacheMetrics metrics;

    KvBlockController(RedisKvBlockStore store, RedisKvAdmin admin, KvPolicies policies, KvCacheProperties props,
                      KvCacheMetrics metrics) {
        this.store = store;
        this.admin = admin;
        this.policies = policies;
        this.props = props;
        this.metrics = metrics;
    }

    /** Body: concatenated 32-byte keys in prompt order. Answer: u32 count of leading cached blocks. */
    @PostMapping(path = "/{model}/lookup", consumes = OCTET, produces = OCTET)
    byte[] lookup(@PathVariable String model, @RequestBody(required = false) byte[] body) {
        return KvWire.encodeCount(store.longestPrefix(KvKeySchema.checkModelId(model), keys(body)));
    }

    /** Body: keys. Answer: blocks (length -1 = missing); with prefix=true only the leading cached run. */
    @PostMapping(path = "/{model}/get", consumes = OCTET, produces = OCTET)
    byte[] get(@PathVariable String model, @RequestParam(defaultValue = "false") boolean prefix,
               @RequestBody(required = false) byte[] body) {
        KvKeySchema.checkModelId(model);
        List<BlockKey> keys = keys(body);
        return KvWire.encodeBlocks(prefix ? store.getPrefix(model, keys) : store.getBlocks(model, keys));
    }

    /** Body: u32 n, n x (key, u32 length, bytes). 204, with what was stored and evicted in headers. */
    @PostMapping(path = "/{model}/put", consumes = OCTET)
    ResponseEntity<Void> put(@PathVariable String model, @RequestBody(required = false) byte[] body) {
        KvKeySchema.checkModelId(model);
        Map<BlockKey, byte[]> blocks = KvWire.decodePut(body == null ? new byte[0] : body);
        policies.ensurePublished(model);
        RedisKvBlockStore.PutResult r = store.put(model, blocks);
        return ResponseEntity.noContent()
                .header("X-Kv-Stored", Long.toString(r.stored()))
                .header("X-Kv-Evicted", Long.toString(r.evicted()))
                .build();
    }

    /** Drops every block of a model (e.g. its weights changed). */
    @DeleteMapping("/{model}")
    Map<String, Object> invalidate(@PathVariable String model) {
        long dropped = admin.invalidate(KvKeySchema.checkModelId(model), props.invalidateBatch());
        metrics.refresh();
        return Map.of("model", model, "deleted_blocks", dropped);
    }

    @GetMapping("/{model}/stats")
    RedisKvAdmin.ModelStats modelStats(@PathVariable String model) {
        return admin.stats(KvKeySchema.checkModelId(model));
    }

    @GetMapping("/stats")
    Map<String, Object> stats() {
        return Map.of("namespace", props.namespace(), "models", metrics.refresh());
    }

    private static List<BlockKey> keys(byte[] body) {
        return KvWire.decodeKeys(body == null ? new byte[0] : body);
    }
}
