package io.moeserve.kvcache.client;

import io.moeserve.core.kvcache.BlockKey;
import java.util.List;
import java.util.Map;

/**
 * Where shared KV blocks live, addressed by {@link BlockKey} within a model. Keys are always passed
 * in prompt order (block 0 first), as {@code BlockHasher.chain} returns them.
 */
public interface KvBlockStore extends AutoCloseable {

    /** Number of leading keys whose blocks are present. */
    int longestPrefix(String modelId, List<BlockKey> keys);

    /** One entry per key, {@code null} where the block is missing. */
    List<byte[]> getBlocks(String modelId, List<BlockKey> keys);

    /** The blocks of the longest cached prefix, in one round trip (what admission wants). */
    List<byte[]> getPrefix(String modelId, List<BlockKey> keys);

    /** Stores blocks; iterate the map in prompt order (a LinkedHashMap) so children are evicted before parents. */
    void putBlocks(String modelId, Map<BlockKey, byte[]> blocks);

    @Override
    void close();
}
