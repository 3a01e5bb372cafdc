package io.moeserve.expert.serve;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.moeserve.core.checkpoint.Checkpoint;
import io.moeserve.core.engine.LocalExperts;
import io.moeserve.core.placement.ExpertId;
import io.moeserve.core.placement.PlacementPlan;
import io.moeserve.core.placement.PlacementPlans;
import io.moeserve.core.wire.Bf16;
import io.moeserve.core.wire.CombineMessage;
import io.moeserve.core.wire.DispatchMessage;
import io.moeserve.core.wire.Topics;
import io.moeserve.core.wire.WireCodec;
import io.moeserve.core.wire.WireDType;
import io.moeserve.expert.TestRouter;
import io.moeserve.kafka.LocalKafka;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The dispatch loop against a real broker: exact replies, stale plans, and garbage that must not stop it. */
class DispatchLoopTest {
    // Partitions of the shared broker owned by this class: instance partition 6, router id 6.
    private static final int PARTITION = 6, ROUTER = 6;
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final AtomicLong batchIds = new AtomicLong(1000);

    private static LocalKafka kafka;
    private static Checkpoint ckpt;
    private static LocalExperts reference;
    private static ExpertHost host;
    private static ExpertMetrics metrics;
    private static DispatchLoop loop;
    private static TestRouter router;

    @BeforeAll
    static void start() {
        kafka = LocalKafka.shared();
        kafka.createTopics(Map.of(Topics.DISPATCH, 8, Topics.COMBINE, 8));
        ckpt = Checkpoint.open(TestRouter.tinyMoe());
        reference = LocalExperts.all(ckpt, false);
        // round-robin over 2 instances: expert-0 holds the even experts of every layer
        PlacementPlan plan = PlacementPlans.roundRobin("tiny-moe", 4, 16, PlacementPlans.uniformInstances(2, Long.MAX_VALUE));
        host = new ExpertHost("expert-0", ckpt, false, plan, Duration.ofSeconds(30));
        metrics = new ExpertMetrics(new SimpleMeterRegistry(), "expert-0", 4, 16, true);
        metrics.bindHost(host);
        loop = new DispatchLoop(DispatchLoop.Settings.of(kafka.bootstrapServers(), PARTITION), host, metrics).start(WAIT);
        router = new TestRouter(kafka.bootstrapServers(), ROUTER);
    }

    @AfterAll
    static void stop() {
        router.close();
        loop.close();
        host.close();
        ckpt.close();
    }

    /** n tokens at a layer; slots with odd experts (held by expert-1) are -1, as the router sends them. */
    private static DispatchMessage dispatch(int layer, int n, WireDType dtype, long seed) {
        Random r = new Random(seed);
        int k = 2, d = 256;
        int[] experts = new int[n * k];
        float[] weights = new float[n * k];
        for (int i = 0; i < n; i++) {
            int a = r.nextInt(16), b = (a + 1 + r.nextInt(15)) % 16;
            experts[i * k] = a % 2 == 0 ? a : -1;
            experts[i * k + 1] = b % 2 == 0 ? b : -1;
            if (experts[i * k] < 0 && experts[i * k + 1] < 0) experts[i * k] = 2 * r.nextInt(8);
            float w = 0.5f + r.nextFloat() / 2;
            weights[i * k] = w;
            weights[i * k + 1] = 1 - w;
        }
        float[] hidden = new float[n * d];
        for (int i = 0; i < hidden.length; i++) hidden[i] = (float) r.nextGaussian();
        return DispatchMessage.of(1, batchIds.incrementAndGet(), layer, ROUTER, PARTITION, n, d, k, dtype, experts, weights, hidden);
    }

    private static CombineMessage roundTrip(byte[] payload, long batchId) throws Exception {
        router.send(PARTITION, payload);
        CombineMessage reply = router.await(batchId, WAIT);
        assertThat(reply).as("reply to batch %d", batchId).isNotNull();
        return reply;
    }

    @Test
    void replies_areBitIdenticalToLocalExpertsCompute() throws Exception {
        for (int layer = 0; layer < 4; layer++) {
            DispatchMessage m = dispatch(layer, 7, WireDType.F32, layer);
            CombineMessage reply = roundTrip(WireCodec.encode(m), m.batchId());
            assertThat(reply.status()).isEqualTo(CombineMessage.Status.OK);
            assertThat(reply.header().layer()).isEqualTo(layer);
            assertThat(reply.header().instancePartition()).isEqualTo(PARTITION);
            float[] expected = reference.compute(layer, m.hidden(), 7, 2, m.experts(), m.weights());
            assertThat(reply.vectors()).containsExactly(expected); // exact float equality, element by element
        }
        assertThat(metrics.computeTimer().count()).isGreaterThanOrEqualTo(4);
    }

    @Test
    void bf16Dispatch_getsBf16ReplyOfTheRoundedInputs() throws Exception {
        DispatchMessage m = dispatch(1, 3, WireDType.BF16, 99);
        CombineMessage reply = roundTrip(WireCodec.encode(m), m.batchId());
        DispatchMessage asReceived = WireCodec.decodeDispatch(WireCodec.encode(m));
        float[] exact = reference.compute(1, asReceived.hidden(), 3, 2, m.experts(), m.weights());
        assertThat(reply.header().dtype()).isEqualTo(WireDType.BF16);
        for (int i = 0; i < exact.length; i++) assertThat(reply.vectors()[i]).isEqualTo(Bf16.toFloat(Bf16.fromFloat(exact[i])));
    }

    @Test
    void expertNotHeld_repliesStalePlanNamingIt() throws Exception {
        DispatchMessage m = dispatch(2, 2, WireDType.F32, 5);
        m.experts()[1] = 7; // odd: held by expert-1, not here
        m.experts()[3] = 9;
        CombineMessage reply = roundTrip(WireCodec.encode(m), m.batchId());
        assertThat(reply.status()).isEqualTo(CombineMessage.Status.STALE_PLAN);
        assertThat(reply.notHeld()).containsExactly(new ExpertId(2, 7), new ExpertId(2, 9));
    }

    @Test
    void corruptOrUnknownVersionMessages_areRejectedAndCounted_andTheLoopKeepsServing() throws Exception {
        double versionBefore = metrics.rejectedCount("version"), magicBefore = metrics.rejectedCount("magic"),
                truncBefore = metrics.rejectedCount("truncated");
        DispatchMessage future = dispatch(0, 2, WireDType.F32, 6);
        byte[] v9 = WireCodec.encode(future);
        v9[4] = 9;
        router.send(PARTITION, v9);
        router.send(PARTITION, "not a moeserve message at all".getBytes());
        byte[] cut = WireCodec.encode(dispatch(0, 2, WireDType.F32, 7));
        router.send(PARTITION, java.util.Arrays.copyOf(cut, cut.length - 10));
        router.send(PARTITION, new byte[0]);
        // A good message after the garbage is still answered, exactly.
        DispatchMessage good = dispatch(3, 4, WireDType.F32, 8);
        CombineMessage reply = roundTrip(WireCodec.encode(good), good.batchId());
        assertThat(reply.status()).isEqualTo(CombineMessage.Status.OK);
        assertThat(reply.vectors()).containsExactly(reference.compute(3, good.hidden(), 4, 2, good.experts(), good.weights()));
        assertThat(metrics.rejectedCount("version")).isEqualTo(versionBefore + 1);
        assertThat(metrics.rejectedCount("magic")).isEqualTo(magicBefore + 1);
        assertThat(metrics.rejectedCount("truncated")).isEqualTo(truncBefore + 2);
        assertThat(loop.isRunning()).isTrue();
    }

    @Test
    void wrongHiddenSize_repliesError_soTheRouterFailsOverAtOnce() throws Exception {
        DispatchMessage m = dispatch(0, 1, WireDType.F32, 11);
        byte[] bytes = WireCodec.encode(DispatchMessage.of(1, m.batchId(), 0, ROUTER, PARTITION, 1, 128, 2, WireDType.F32,
                m.experts(), m.weights(), java.util.Arrays.copyOf(m.hidden(), 128)));
        CombineMessage reply = roundTrip(bytes, m.batchId());
        assertThat(reply.status()).isEqualTo(CombineMessage.Status.ERROR);
        assertThat(reply.error()).contains("hidden size 128 does not match the model's 256");
    }

    @Test
    void unknownRouterPartition_isCountedNotFatal() throws Exception {
        DispatchMessage m = dispatch(0, 1, WireDType.F32, 12);
        byte[] bytes = WireCodec.encode(m);
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(28, 500); // router id with no moe.combine partition
        double before = metrics.rejectedCount("undeliverable");
        router.send(PARTITION, bytes);
        DispatchMessage good = dispatch(1, 1, WireDType.F32, 13);
        assertThat(roundTrip(WireCodec.encode(good), good.batchId()).status()).isEqualTo(CombineMessage.Status.OK);
        assertThat(loop.isRunning()).isTrue();
        assertThat(metrics.rejectedCount("undeliverable")).isEqualTo(before + 1);
    }

    @Test
    void stoppedLoop_reportsNotRunning() {
        ExpertHost h = new ExpertHost("expert-1", ckpt, false,
                PlacementPlans.roundRobin("tiny-moe", 4, 16, PlacementPlans.uniformInstances(2, Long.MAX_VALUE)), Duration.ofSeconds(1));
        DispatchLoop l = new DispatchLoop(DispatchLoop.Settings.of(kafka.bootstrapServers(), 7), h,
                new ExpertMetrics(new SimpleMeterRegistry(), "expert-1", 4, 16, false)).start(WAIT);
        assertThat(l.isRunning()).isTrue();
        l.close();
        assertThat(l.isRunning()).isFalse();
        h.close();
    }
}
