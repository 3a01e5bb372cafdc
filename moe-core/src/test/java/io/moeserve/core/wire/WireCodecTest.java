package io.moeserve.core.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.moeserve.core.placement.ExpertId;
import io.moeserve.core.wire.WireFormatException.Reason;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class WireCodecTest {
    private static final int N = 5, K = 2, D = 16;

    private static DispatchMessage dispatch(WireDType dtype, long seed) {
        Random r = new Random(seed);
        int[] experts = new int[N * K];
        float[] weights = new float[N * K];
        for (int i = 0; i < experts.length; i++) {
            experts[i] = r.nextInt(4) == 0 ? -1 : r.nextInt(16);
            weights[i] = r.nextFloat();
        }
        float[] hidden = new float[N * D];
        for (int i = 0; i < hidden.length; i++) hidden[i] = (float) r.nextGaussian() * 3;
        return DispatchMessage.of(7, 0x1234_5678_9abcL, 3, 2, 5, N, D, K, dtype, experts, weights, hidden);
    }

    @Test
    void dispatch_f32_roundTripsExactly() {
        DispatchMessage m = dispatch(WireDType.F32, 1);
        byte[] bytes = WireCodec.encode(m);
        assertThat(bytes).hasSize(WireHeader.BYTES + N * K * 6 + N * D * 4);
        DispatchMessage back = WireCodec.decodeDispatch(bytes);
        assertThat(back.header()).isEqualTo(m.header());
        assertThat(back.experts()).containsExactly(m.experts());
        assertThat(back.weights()).containsExactly(m.weights());
        assertThat(back.hidden()).containsExactly(m.hidden());
    }

    @Test
    void header_isLittleEndianAtDocumentedOffsets() {
        byte[] bytes = WireCodec.encode(dispatch(WireDType.F32, 2));
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(new String(bytes, 0, 4)).isEqualTo("MOEW");
        assertThat(bytes[4]).isEqualTo((byte) 1);
        assertThat(bytes[5]).isEqualTo((byte) 1); // DISPATCH
        assertThat(bytes[7]).isEqualTo((byte) K);
        assertThat(b.getLong(8)).isEqualTo(7);
        assertThat(b.getLong(16)).isEqualTo(0x1234_5678_9abcL);
        assertThat(b.getInt(24)).isEqualTo(3);
        assertThat(b.getInt(28)).isEqualTo(2);
        assertThat(b.getInt(32)).isEqualTo(5);
        assertThat(b.getInt(36)).isEqualTo(N);
        assertThat(b.getInt(40)).isEqualTo(D);
    }

    @Test
    void dispatch_bf16_halvesVectorBytes_andRoundsEachValueToNearestEven() {
        DispatchMessage m = dispatch(WireDType.BF16, 3);
        byte[] bytes = WireCodec.encode(m);
        assertThat(bytes).hasSize(WireHeader.BYTES + N * K * 6 + N * D * 2);
        DispatchMessage back = WireCodec.decodeDispatch(bytes);
        assertThat(back.weights()).containsExactly(m.weights()); // routing weights always travel as f32
        for (int i = 0; i < m.hidden().length; i++) {
            assertThat(back.hidden()[i]).isEqualTo(Bf16.toFloat(Bf16.fromFloat(m.hidden()[i])));
            assertThat(Math.abs(back.hidden()[i] - m.hidden()[i])).isLessThanOrEqualTo(Math.ulp(m.hidden()[i]) * 0x1p15f);
        }
    }

    @Test
    void bf16_tiesGoToEven_andNaNStaysNaN() {
        assertThat(Bf16.toFloat(Bf16.fromFloat(1f + 0x1p-8f))).isEqualTo(1f);
        assertThat(Bf16.toFloat(Bf16.fromFloat(1f + 3 * 0x1p-8f))).isEqualTo(1f + 0x1p-6f);
        assertThat(Bf16.toFloat(Bf16.fromFloat(1f + 0x1p-8f + 0x1p-12f))).isEqualTo(1f + 0x1p-7f);
        assertThat(Bf16.toFloat(Bf16.fromFloat(Float.NaN))).isNaN();
        assertThat(Bf16.toFloat(Bf16.fromFloat(Float.NEGATIVE_INFINITY))).isEqualTo(Float.NEGATIVE_INFINITY);
        assertThat(Bf16.toFloat(Bf16.fromFloat(-2.5f))).isEqualTo(-2.5f);
    }

    @Test
    void combine_allStatusesRoundTrip() {
        WireHeader h = dispatch(WireDType.F32, 4).header();
        float[] v = new float[N * D];
        for (int i = 0; i < v.length; i++) v[i] = i * 0.25f - 3;
        CombineMessage ok = WireCodec.decodeCombine(WireCodec.encode(CombineMessage.ok(h, v)));
        assertThat(ok.status()).isEqualTo(CombineMessage.Status.OK);
        assertThat(ok.vectors()).containsExactly(v);
        assertThat(ok.header()).isEqualTo(h.as(WireHeader.Kind.COMBINE));

        List<ExpertId> lost = List.of(new ExpertId(3, 9), new ExpertId(3, 15));
        CombineMessage stale = WireCodec.decodeCombine(WireCodec.encode(CombineMessage.stalePlan(h, lost)));
        assertThat(stale.status()).isEqualTo(CombineMessage.Status.STALE_PLAN);
        assertThat(stale.notHeld()).isEqualTo(lost);
        assertThat(stale.vectors()).isEmpty();

        CombineMessage err = WireCodec.decodeCombine(WireCodec.encode(CombineMessage.error(h, "hidden size 17 ≠ 256")));
        assertThat(err.status()).isEqualTo(CombineMessage.Status.ERROR);
        assertThat(err.error()).isEqualTo("hidden size 17 ≠ 256");
        assertThat(err.batchId()).isEqualTo(h.batchId());
    }

    @Test
    void unknownMagicVersionKindDtype_areRejectedWithPreciseReasons() {
        byte[] good = WireCodec.encode(dispatch(WireDType.F32, 5));
        assertReject(with(good, 0, (byte) 'X'), Reason.MAGIC, "bad magic");
        assertReject(with(good, 4, (byte) 2), Reason.VERSION, "wire version 2 is not supported (this reader understands version 1)");
        assertReject(with(good, 5, (byte) 9), Reason.KIND, "unknown message kind 9");
        assertReject(with(good, 6, (byte) 7), Reason.DTYPE, "unknown dtype 7");
        assertReject(with(good, 7, (byte) 0), Reason.INVALID, "k is 0");
        assertThatThrownBy(() -> WireCodec.decodeCombine(good)).isInstanceOf(WireFormatException.class)
                .hasMessageContaining("expected a COMBINE message, got DISPATCH");
    }

    @Test
    void truncatedOrPaddedPayloads_areRejected() {
        byte[] good = WireCodec.encode(dispatch(WireDType.F32, 6));
        assertReject(new byte[0], Reason.TRUNCATED, "shorter than the 44-byte header");
        assertReject(java.util.Arrays.copyOf(good, 20), Reason.TRUNCATED, "20 bytes, shorter than the 44-byte header");
        assertReject(java.util.Arrays.copyOf(good, good.length - 1), Reason.TRUNCATED,
                "DISPATCH of 5 tokens x k=2 slots and hidden 16 F32 needs " + good.length + " bytes, got only " + (good.length - 1));
        assertReject(java.util.Arrays.copyOf(good, good.length + 3), Reason.SIZE_MISMATCH, "(3 trailing bytes)");
        // a header claiming more tokens than the payload holds
        byte[] lying = good.clone();
        ByteBuffer.wrap(lying).order(ByteOrder.LITTLE_ENDIAN).putInt(36, 1_000_000);
        assertReject(lying, Reason.TRUNCATED, "DISPATCH of 1000000 tokens");
        byte[] stale = WireCodec.encode(CombineMessage.stalePlan(dispatch(WireDType.F32, 6).header(), List.of(new ExpertId(1, 2))));
        assertReject(java.util.Arrays.copyOf(stale, stale.length - 2), Reason.TRUNCATED, "STALE_PLAN listing 1 experts");
    }

    @Test
    void everyPrefixAndRandomCorruption_failsOnlyWithWireFormatException() {
        Random r = new Random(42);
        for (WireMessage m : List.<WireMessage>of(dispatch(WireDType.F32, 7), dispatch(WireDType.BF16, 8),
                CombineMessage.stalePlan(dispatch(WireDType.F32, 9).header(), List.of(new ExpertId(0, 1))),
                CombineMessage.error(dispatch(WireDType.F32, 9).header(), "boom"))) {
            byte[] good = WireCodec.encode(m);
            for (int len = 0; len < good.length; len++) {
                byte[] prefix = java.util.Arrays.copyOf(good, len);
                assertThatThrownBy(() -> WireCodec.decode(prefix)).as("prefix of %d bytes", len).isInstanceOf(WireFormatException.class);
            }
            for (int trial = 0; trial < 2000; trial++) {
                byte[] bad = good.clone();
                int flips = 1 + r.nextInt(4);
                for (int f = 0; f < flips; f++) bad[r.nextInt(bad.length)] ^= (byte) (1 + r.nextInt(255));
                try {
                    WireCodec.decode(bad); // flipped value bytes decode; anything else must be a WireFormatException
                } catch (WireFormatException expected) {
                    assertThat(expected.getMessage()).isNotBlank();
                }
            }
        }
    }

    @Test
    void negativeExpertOtherThanMinusOne_isInvalid() {
        DispatchMessage m = dispatch(WireDType.F32, 10);
        byte[] bytes = WireCodec.encode(m);
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putShort(WireHeader.BYTES + 6, (short) -5);
        assertReject(bytes, Reason.INVALID, "token 0 slot 1 names expert -5");
    }

    private static byte[] with(byte[] b, int at, byte value) {
        byte[] c = b.clone();
        c[at] = value;
        return c;
    }

    private static void assertReject(byte[] bytes, Reason reason, String message) {
        assertThatThrownBy(() -> WireCodec.decode(bytes)).isInstanceOfSatisfying(WireFormatException.class,
                e -> assertThat(e.reason()).isEqualTo(reason)).hasMessageContaining(message);
    }
}
