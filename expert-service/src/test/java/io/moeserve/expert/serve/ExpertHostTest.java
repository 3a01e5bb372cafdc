package io.moeserve.expert.serve;

import static org.assertj.core.api.Assertions.assertThat;

import io.moeserve.core.checkpoint.Checkpoint;
import io.moeserve.core.engine.LocalExperts;
import io.moeserve.core.placement.ExpertPlacement;
import io.moeserve.core.placement.PlacementPlan;
import io.moeserve.core.placement.PlacementPlans;
import io.moeserve.core.wire.CombineMessage;
import io.moeserve.core.wire.DispatchMessage;
import io.moeserve.core.wire.PlanAck;
import io.moeserve.core.wire.WireDType;
import io.moeserve.expert.TestRouter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Plan handling of one instance, without Kafka: what it loads, serves, acks and unloads. */
class ExpertHostTest {
    private static Checkpoint ckpt;

    @BeforeAll
    static void open() {
        ckpt = Checkpoint.open(TestRouter.tinyMoe());
    }

    @AfterAll
    static void close() {
        ckpt.close();
    }

    private static PlacementPlan roundRobin(int instances) {
        return PlacementPlans.roundRobin("tiny-moe", 4, 16, PlacementPlans.uniformInstances(instances, Long.MAX_VALUE));
    }

    /** Layer 0 expert 1 moves from expert-1 to expert-0; everything else as in round-robin over 2. */
    private static PlacementPlan moveL0E1ToExpert0(long version) {
        List<ExpertPlacement> ps = new ArrayList<>();
        for (ExpertPlacement p : roundRobin(2).placements()) {
            ps.add(p.layer() == 0 && p.expert() == 1 ? ExpertPlacement.single(0, 1, "expert-0")
                    : p.layer() == 0 && p.expert() == 0 ? ExpertPlacement.single(0, 0, "expert-1") : p);
        }
        PlacementPlan base = roundRobin(2);
        return new PlacementPlan(version, base.modelId(), 4, 16, base.instances(), ps).validate();
    }

    @Test
    void holdsOnlyItsPlansExperts_memoryProportional() {
        try (ExpertHost a = new ExpertHost("expert-0", ckpt, false, roundRobin(4), Duration.ofSeconds(1))) {
            LocalExperts all = LocalExperts.all(ckpt, false);
            assertThat(a.experts().heldKeys()).hasSize(16); // 64 experts / 4 instances
            assertThat(a.experts().holds(0, 0)).isTrue();
            assertThat(a.experts().holds(0, 1)).isFalse();
            assertThat(a.experts().heldBytes() * 4).isEqualTo(all.heldBytes());
        }
    }

    @Test
    void newerPlan_loadsGained_acks_servesBothDuringGrace_thenUnloadsDropped() throws Exception {
        try (ExpertHost host = new ExpertHost("expert-0", ckpt, false, roundRobin(2), Duration.ofSeconds(2))) {
            PlanAck ack = host.adopt(moveL0E1ToExpert0(2));
            assertThat(ack.status()).isEqualTo(PlanAck.LOADED);
            assertThat(ack.planVersion()).isEqualTo(2);
            assertThat(ack.heldExperts()).isEqualTo(32);
            assertThat(host.plan().version()).isEqualTo(2);
            // During the grace period both the old (expert 0) and the new (expert 1) are served.
            assertThat(host.handle(dispatch(0, 0)).status()).isEqualTo(CombineMessage.Status.OK);
            assertThat(host.handle(dispatch(0, 1)).status()).isEqualTo(CombineMessage.Status.OK);
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (host.experts().holds(0, 0) && System.nanoTime() < deadline) Thread.sleep(20);
            assertThat(host.experts().holds(0, 0)).isFalse();
            assertThat(host.handle(dispatch(0, 0)).status()).isEqualTo(CombineMessage.Status.STALE_PLAN);
            assertThat(host.experts().holds(0, 1)).isTrue();
        }
    }

    @Test
    void olderOrSamePlan_isIgnored_andWrongShapePlan_isAckedFailed() {
        try (ExpertHost host = new ExpertHost("expert-0", ckpt, false, roundRobin(2).withVersion(5), Duration.ofSeconds(1))) {
            assertThat(host.adopt(roundRobin(2).withVersion(5))).isNull();
            assertThat(host.adopt(roundRobin(2).withVersion(3))).isNull();
            PlacementPlan wrong = PlacementPlans.roundRobin("other", 2, 8, PlacementPlans.uniformInstances(2, 1)).withVersion(6);
            PlanAck ack = host.adopt(wrong);
            assertThat(ack.status()).isEqualTo(PlanAck.FAILED);
            assertThat(ack.detail()).contains("2 layers x 8 experts");
            assertThat(host.plan().version()).isEqualTo(5);
        }
    }

    private static DispatchMessage dispatch(int layer, int expert) {
        float[] hidden = new float[256];
        hidden[3] = 1;
        return DispatchMessage.of(2, 1, layer, 0, 0, 1, 256, 2, WireDType.F32, new int[]{expert, -1}, new float[]{0.7f, 0.3f}, hidden);
    }
}
