package io.moeserve.router.prefix;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.moeserve.core.engine.KvCache;
import io.moeserve.core.kvcache.BlockHasher;
import io.moeserve.core.kvcache.BlockKey;
import io.moeserve.core.kvcache.KvBlockCodec;
import io.moeserve.core.model.ModelConfig;
import io.moeserve.kvcache.client.KvCacheClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The router's use of the shared prefix KV cache. On admission (on the request's own thread, never
 * the scheduler's) the longest cached run of full 16-token blocks of the prompt is fetched into the
 * sequence's KV cache, so only the rest is prefilled. After a prompt is prefilled its new full blocks
 * are encoded and written back on a bounded background pool; a full pool drops the write. The client
 * behind it answers "miss" when Redis or the service is away, so nothing here can fail a request.
 */
public final class PrefixCache {
    private static final Logger log = LoggerFactory.getLogger(PrefixCache.class);
    private static final int T = BlockHasher.BLOCK_TOKENS;

    private final KvCacheClient client;
    private final String modelId;
    private final ModelConfig config;
    private final KvBlockCodec.Encoding encoding;
    private final ThreadPoolExecutor writer;
    private final Counter queries, hits, writesDropped;

    public PrefixCache(KvCacheClient client, String modelId, ModelConfig config, KvBlockCodec.Encoding encoding,
                       MeterRegistry registry) {
        this.client = client;
        this.modelId = modelId;
        this.config = config;
        this.encoding = encoding;
        this.writer = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(64),
                r -> Thread.ofPlatform().name("prefix-cache-writer").daemon().unstarted(r));
        queries = Counter.builder("vllm:prefix_cache_queries").description("Prompt tokens looked up in the prefix cache")
                .tag("model_name", modelId).register(registry);
        hits = Counter.builder("vllm:prefix_cache_hits").description("Prompt tokens found in the prefix cache")
                .tag("model_name", modelId).register(registry);
        writesDropped = Counter.builder("moeserve:prefix_cache_writes_dropped")
                .description("Block write-backs dropped because the writer was busy").tag("model_name", modelId).register(registry);
    }

    /**
     * Fills cache with the longest cached prefix of prompt and returns its length in tokens. At least
     * the last prompt token is always left to compute: its logits start the generation.
     */
    public int restore(int[] prompt, KvCache cache) {
        int blocks = (prompt.length - 1) / T;
        queries.increment(prompt.length);
        if (blocks == 0) return 0;
        List<BlockKey> keys = BlockHasher.chain(modelId, prompt, blocks * T);
        List<byte[]> found = client.getPrefix(modelId, keys);
        if (found.isEmpty()) return 0;
        int layers = config.numLayers(), kv = config.kvDim();
        float[][] k = new float[layers][found.size() * T * kv], v = new float[layers][found.size() * T * kv];
        try {
            for (int b = 0; b < found.size(); b++) {
                KvBlockCodec.decode(found.get(b), k, v, b * T, config.numKvHeads(), config.headDim());
            }
        } catch (RuntimeException e) {
            log.warn("ignoring unreadable shared KV block: {}", e.getMessage());
            return 0;
        }
        cache.append(found.size() * T, k, v);
        hits.increment(found.size() * T);
        return found.size() * T;
    }

    /**
     * Queues the full blocks of the prompt from block `fromToken / 16` on for write-back. Positions
     * below cache.length() are never rewritten, so the arrays can be read later on the writer thread.
     */
    public void storeAsync(int[] prompt, KvCache cache, int fromToken) {
        int full = Math.min(prompt.length, cache.length()) / T;
        int first = fromToken / T;
        if (full <= first) return;
        int layers = config.numLayers();
        float[][] k = new float[layers][], v = new float[layers][];
        for (int l = 0; l < layers; l++) {
            k[l] = cache.keys(l);
            v[l] = cache.values(l);
        }
        try {
            writer.execute(() -> {
                List<BlockKey> keys = BlockHasher.chain(modelId, prompt, full * T);
                Map<BlockKey, byte[]> blocks = new LinkedHashMap<>();
                for (int b = first; b < full; b++) {
                    blocks.put(keys.get(b), KvBlockCodec.encode(k, v, b * T, config.numKvHeads(), config.headDim(), encoding));
                }
                client.putBlocks(modelId, blocks);
            });
        } catch (RejectedExecutionException e) {
            writesDropped.increment();
        }
    }

    public KvCacheClient client() {
        return client;
    }

    public void close() {
        writer.shutdownNow();
        client.close();
    }
}
