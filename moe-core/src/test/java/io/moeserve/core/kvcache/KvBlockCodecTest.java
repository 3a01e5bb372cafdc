package io.moeserve.core.kvcache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.moeserve.core.kvcache.KvBlockCodec.Encoding;
import io.moeserve.core.kvcache.KvBlockCodec.KvBlockFormatException;
import java.util.Random;
import org.junit.jupiter.api.Test;

class KvBlockCodecTest {
    // tiny-moe: 4 layers, 4 kv heads, head_dim 32
    private static final int L = 4, H = 4, D = 32, T = BlockHasher.BLOCK_TOKENS;

    private static float[][] random(int layers, int tokens, long seed) {
        Random r = new Random(seed);
        float[][] x = new float[layers][tokens * H * D];
        for (float[] layer : x) {
            for (int i = 0; i < layer.length; i++) {
                layer[i] = (float) (r.nextGaussian() * (1 + (i % 7))); // uneven magnitudes per head
            }
        }
        return x;
    }

    @Test
    void bf16_roundTrip_withinHalfABf16Ulp() {
        float[][] k = random(L, T, 1), v = random(L, T, 2);
        byte[] block = KvBlockCodec.encode(k, v, H, D, Encoding.BF16);
        assertThat(block).hasSize(KvBlockCodec.encodedSize(L, H, D, Encoding.BF16)).hasSize(16 + L * 2 * T * H * D * 2);
        float[][] k2 = new float[L][T * H * D], v2 = new float[L][T * H * D];
        KvBlockCodec.decode(block, k2, v2, H, D);
        for (int l = 0; l < L; l++) {
            for (int i = 0; i < k[l].length; i++) {
                // bf16 keeps 8 of float's 24 significand bits: half its ulp is 2^15 float ulps
                assertThat(Math.abs(k2[l][i] - k[l][i])).isLessThanOrEqualTo(Math.ulp(k[l][i]) * 0x1p15f);
                assertThat(Math.abs(v2[l][i] - v[l][i])).isLessThanOrEqualTo(Math.ulp(v[l][i]) * 0x1p15f);
            }
        }
    }

    @Test
    void bf16_roundsToNearestEven() {
        // 1 + 2^-8 is exactly halfway between bf16 1.0 and 1+2^-7: ties go to the even mantissa (1.0)
        assertThat(KvBlockCodec.fromBf16(KvBlockCodec.toBf16(1f + 0x1p-8f))).isEqualTo(1f);
        // 1 + 3*2^-8 is halfway between 1+2^-7 (odd) and 1+2^-6 (even): goes up
        assertThat(KvBlockCodec.fromBf16(KvBlockCodec.toBf16(1f + 3 * 0x1p-8f))).isEqualTo(1f + 0x1p-6f);
        assertThat(KvBlockCodec.fromBf16(KvBlockCodec.toBf16(1f + 0x1p-8f + 0x1p-12f))).isEqualTo(1f + 0x1p-7f);
        assertThat(KvBlockCodec.fromBf16(KvBlockCodec.toBf16(Float.NaN))).isNaN();
        assertThat(KvBlockCodec.fromBf16(KvBlockCodec.toBf16(-2.5f))).isEqualTo(-2.5f);
    }

    @Test
    void int8_roundTrip_withinHalfStepOfPerHeadScale_andAboutHalfTheBytes() {
        float[][] k = random(L, T, 3), v = random(L, T, 4);
        byte[] block = KvBlockCodec.encode(k, v, H, D, Encoding.INT8);
        assertThat(block.length).isLessThan(KvBlockCodec.encodedSize(L, H, D, Encoding.BF16) * 6 / 10);
        float[][] k2 = new float[L][T * H * D], v2 = new float[L][T * H * D];
        KvBlockCodec.decode(block, k2, v2, H, D);
        for (int l = 0; l < L; l++) {
            for (int row = 0; row < T * H; row++) {
                float maxAbs = 0;
                for (int d = 0; d < D; d++) {
                    maxAbs = Math.max(maxAbs, Math.abs(k[l][row * D + d]));
                }
                float bound = maxAbs / 127f / 2f * 1.0001f;
                for (int d = 0; d < D; d++) {
                    assertThat(Math.abs(k2[l][row * D + d] - k[l][row * D + d])).isLessThanOrEqualTo(bound);
                }
            }
        }
    }

    @Test
    void int8_allZeroHead_decodesToZero() {
        float[][] k = new float[L][T * H * D], v = new float[L][T * H * D];
        float[][] k2 = random(L, T, 5), v2 = random(L, T, 6);
        KvBlockCodec.decode(KvBlockCodec.encode(k, v, H, D, Encoding.INT8), k2, v2, H, D);
        assertThat(k2[2]).containsOnly(0f);
        assertThat(v2[3]).containsOnly(0f);
    }

    @Test
    void offsets_encodeAndDecodeTheRightTokenSliceOfEngineArrays() {
        int seq = 3 * T;
        float[][] k = random(L, seq, 7), v = random(L, seq, 8);
        byte[] second = KvBlockCodec.encode(k, v, T, H, D, Encoding.BF16);
        float[][] k2 = new float[L][seq * H * D], v2 = new float[L][seq * H * D];
        KvBlockCodec.decode(second, k2, v2, 2 * T, H, D); // put block 1 of the source at block 2
        int n = T * H * D;
        for (int l = 0; l < L; l++) {
            for (int i = 0; i < n; i++) {
                assertThat(k2[l][2 * n + i]).isEqualTo(KvBlockCodec.fromBf16(KvBlockCodec.toBf16(k[l][n + i])));
                assertThat(v2[l][2 * n + i]).isEqualTo(KvBlockCodec.fromBf16(KvBlockCodec.toBf16(v[l][n + i])));
            }
            assertThat(k2[l][0]).isZero(); // tokens outside the block untouched
            assertThat(k2[l][n]).isZero();
        }
    }

    @Test
    void header_describesTheBlock() {
        byte[] block = KvBlockCodec.encode(random(L, T, 9), random(L, T, 10), H, D, Encoding.INT8);
        assertThat(KvBlockCodec.readHeader(block))
                .isEqualTo(new KvBlockCodec.Header(1, Encoding.INT8, L, H, D, T));
    }

    @Test
    void shapeMismatch_isRejectedWithBothShapesInTheMessage() {
        byte[] block = KvBlockCodec.encode(random(L, T, 11), random(L, T, 12), H, D, Encoding.BF16);
        float[][] k = new float[L][T * 8 * D], v = new float[L][T * 8 * D];
        assertThatThrownBy(() -> KvBlockCodec.decode(block, k, v, 8, D))
                .isInstanceOf(KvBlockFormatException.class)
                .hasMessageContaining("block has 4 layers x 4 kv heads x 32 head dim")
                .hasMessageContaining("engine expects 4 layers x 8 kv heads x 32 head dim");
        float[][] k3 = new float[3][T * H * D], v3 = new float[3][T * H * D];
        assertThatThrownBy(() -> KvBlockCodec.decode(block, k3, v3, H, D)).isInstanceOf(KvBlockFormatException.class);
    }

    @Test
    void corruptOrTruncatedBlocks_areRejected() {
        byte[] block = KvBlockCodec.encode(random(L, T, 13), random(L, T, 14), H, D, Encoding.BF16);
        float[][] k = new float[L][T * H * D], v = new float[L][T * H * D];
        byte[] badMagic = block.clone();
        badMagic[0] = 'X';
        assertThatThrownBy(() -> KvBlockCodec.decode(badMagic, k, v, H, D)).hasMessageContaining("magic");
        byte[] badVersion = block.clone();
        badVersion[4] = 9;
        assertThatThrownBy(() -> KvBlockCodec.decode(badVersion, k, v, H, D)).hasMessageContaining("version 9");
        byte[] truncated = java.util.Arrays.copyOf(block, block.length - 1);
        assertThatThrownBy(() -> KvBlockCodec.decode(truncated, k, v, H, D)).hasMessageContaining("bytes");
        assertThatThrownBy(() -> KvBlockCodec.decode(new byte[3], k, v, H, D)).hasMessageContaining("header");
    }
}
