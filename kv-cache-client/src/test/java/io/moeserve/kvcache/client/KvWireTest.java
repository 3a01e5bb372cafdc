package io.moeserve.kvcache.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.moeserve.core.kvcache.BlockKey;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class KvWireTest {

    @Test
    void keys_blocks_put_andCount_roundTrip() {
        List<BlockKey> keys = TestBlocks.keys("m", 3, 1);
        assertThat(KvWire.decodeKeys(KvWire.encodeKeys(keys))).isEqualTo(keys);
        assertThat(KvWire.decodeCount(KvWire.encodeCount(48))).isEqualTo(48);

        List<byte[]> blocks = Arrays.asList(new byte[] {1, 2, 3}, null, new byte[] {4});
        List<byte[]> back = KvWire.decodeBlocks(KvWire.encodeBlocks(blocks));
        assertThat(back).hasSize(3);
        assertThat(back.get(0)).containsExactly(1, 2, 3);
        assertThat(back.get(1)).isNull();
        assertThat(back.get(2)).containsExactly(4);

        Map<BlockKey, byte[]> put = TestBlocks.blocks(keys);
        Map<BlockKey, byte[]> putBack = KvWire.decodePut(KvWire.encodePut(put));
        assertThat(putBack.keySet()).containsExactlyElementsOf(keys); // order kept
        assertThat(putBack.get(keys.get(1))).isEqualTo(put.get(keys.get(1)));
    }

    @Test
    void malformedBodies_areRejectedWithTheReason() {
        assertThatThrownBy(() -> KvWire.decodeKeys(new byte[33])).hasMessageContaining("32-byte");
        byte[] put = KvWire.encodePut(TestBlocks.blocks(TestBlocks.keys("m", 1, 2)));
        assertThatThrownBy(() -> KvWire.decodePut(Arrays.copyOf(put, put.length - 1))).hasMessageContaining("truncated");
        assertThatThrownBy(() -> KvWire.decodePut(Arrays.copyOf(put, put.length + 2))).hasMessageContaining("trailing");
        assertThatThrownBy(() -> KvWire.decodeBlocks(KvWire.encodeCount(KvWire.MAX_BLOCKS + 1))).hasMessageContaining("limit");
    }
}
