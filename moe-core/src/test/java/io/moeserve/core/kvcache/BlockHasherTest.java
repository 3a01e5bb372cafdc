package io.moeserve.core.kvcache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class BlockHasherTest {

    private static int[] tokens(int n, int seed) {
        return IntStream.range(0, n).map(i -> (i * 31 + seed) % 4096).toArray();
    }

    @Test
    void chain_onlyFullBlocksGetKeys() {
        assertThat(BlockHasher.chain("m", tokens(15, 0))).isEmpty();
        assertThat(BlockHasher.chain("m", tokens(16, 0))).hasSize(1);
        assertThat(BlockHasher.chain("m", tokens(47, 0))).hasSize(2);
        assertThat(BlockHasher.chain("m", tokens(768, 0))).hasSize(48);
    }

    @Test
    void firstKey_isSha256OfRootModelAndLittleEndianTokens() throws Exception {
        int[] t = tokens(16, 7);
        ByteBuffer le = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        for (int x : t) {
            le.putInt(x);
        }
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        sha.update(new byte[32]);
        sha.update("tiny-moe".getBytes(StandardCharsets.UTF_8));
        sha.update(le.array());
        assertThat(BlockHasher.chain("tiny-moe", t).getFirst().toBytes()).isEqualTo(sha.digest());
    }

    @Test
    void equalPrefixes_giveEqualKeys_andDivergenceChangesEveryLaterKey() {
        int[] a = tokens(64, 3);
        int[] b = a.clone();
        b[20] = b[20] + 1; // second block differs
        List<BlockKey> ka = BlockHasher.chain("m", a);
        List<BlockKey> kb = BlockHasher.chain("m", b);
        assertThat(kb.get(0)).isEqualTo(ka.get(0));
        for (int i = 1; i < 4; i++) {
            assertThat(kb.get(i)).isNotEqualTo(ka.get(i));
        }
        assertThat(BlockHasher.chain("m", a.clone())).isEqualTo(ka);
    }

    @Test
    void modelId_isPartOfTheKey() {
        int[] t = tokens(32, 1);
        assertThat(BlockHasher.chain("model-a", t)).doesNotContainAnyElementsOf(BlockHasher.chain("model-b", t));
    }

    @Test
    void next_continuesAChain() {
        int[] t = tokens(48, 5);
        List<BlockKey> keys = BlockHasher.chain("m", t);
        assertThat(BlockHasher.next(keys.get(1), "m", t, 32)).isEqualTo(keys.get(2));
        assertThatThrownBy(() -> BlockHasher.next(keys.get(1), "m", t, 40)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void blockKey_hexRoundTripAndCopiesInput() {
        byte[] raw = new byte[32];
        raw[0] = 42;
        BlockKey k = BlockKey.of(raw);
        raw[0] = 0;
        assertThat(k.toBytes()[0]).isEqualTo((byte) 42);
        assertThat(BlockKey.fromHex(k.hex())).isEqualTo(k);
        assertThatThrownBy(() -> BlockKey.of(new byte[31])).hasMessageContaining("32 bytes");
    }
}
