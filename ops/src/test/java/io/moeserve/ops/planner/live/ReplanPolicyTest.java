package io.moeserve.ops.planner.live;

import io.moeserve.core.placement.InstanceSpec;
import io.moeserve.core.placement.PlacementPlan;
import io.moeserve.core.placement.PlacementPlans;
import io.moeserve.core.wire.Heartbeat;
import io.moeserve.ops.planner.stats.WindowStats;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ReplanPolicyTest {
    private final ReplanPolicy policy = new ReplanPolicy(new ReplanPolicy.Settings(1.15, Duration.ofSeconds(60), Duration.ofSeconds(30)));
    private final PlacementPlan twoInstances = PlacementPlans.roundRobin("m", 2, 4, PlacementPlans.uniformInstances(2, Long.MAX_VALUE));

    private static List<InstanceSpec> members(int n) {
        return PlacementPlans.uniformInstances(n, 1L << 30);
    }

    private static WindowStats skewed() {
        // expert 0 and 2 (both on expert-0 under round-robin) take everything
        double[][] load = {{10, 0, 10, 0}, {10, 0, 10, 0}};
        return new WindowStats(2, 4, 2, 10, load, new double[2][16], new double[1][16]);
    }

    @Test
    void instanceJoining_orLeaving_triggersAMembershipReplan() {
        assertThat(policy.reason(0, twoInstances, null, 0, members(3), null, false)).hasValue("membership");
        assertThat(policy.reason(0, twoInstances, null, 0, members(1), null, false)).hasValue("membership");
        assertThat(policy.reason(0, twoInstances, null, 0, members(2), null, false)).isEmpty();
    }

    @Test
    void noMembersAtAll_neverTriggersAReplan() {
        assertThat(policy.reason(0, twoInstances, null, 0, List.of(), skewed(), true)).isEmpty();
    }

    @Test
    void pendingProposal_isWaitedFor_untilTheAckTimeout() {
        PlacementPlan pending = PlacementPlans.roundRobin("m", 2, 4, PlacementPlans.uniformInstances(3, Long.MAX_VALUE)).withVersion(2);
        assertThat(policy.reason(10_000, twoInstances, pending, 0, members(3), skewed(), true)).isEmpty();
        assertThat(policy.reason(31_000, twoInstances, pending, 0, members(3), skewed(), false)).hasValue("ack-timeout");
        assertThat(policy.reason(10_000, twoInstances, pending, 0, members(2), null, false)).as("membership changed again")
                .hasValue("membership");
    }

    @Test
    void imbalance_triggersOnlyAboveThreshold_andAfterTheCooldown() {
        assertThat(policy.reason(30_000, twoInstances, null, 0, members(2), skewed(), false)).as("cool-down").isEmpty();
        assertThat(policy.reason(61_000, twoInstances, null, 0, members(2), skewed(), false)).hasValue("imbalance");
        WindowStats even = LoadPrediction.uniform(2, 4, 2);
        assertThat(policy.reason(61_000, twoInstances, null, 0, members(2), even, false)).isEmpty();
    }

    @Test
    void operatorRequest_triggersAReplan() {
        assertThat(policy.reason(0, twoInstances, null, 0, members(2), null, true)).hasValue("request");
    }

    @Test
    void membership_dropsLeavingAndSilentInstances_andIgnoresReplayedOldHeartbeats() {
        Membership m = new Membership(6000);
        m.onHeartbeat(new Heartbeat("expert-1", 1, 100, 1.0, Heartbeat.UP, 1, 10_000));
        m.onHeartbeat(new Heartbeat("expert-0", 0, 100, 2.0, Heartbeat.UP, 1, 10_000));
        assertThat(m.members(12_000)).extracting(InstanceSpec::id).containsExactly("expert-0", "expert-1");
        assertThat(m.members(12_000).getFirst().speed()).isEqualTo(2.0);
        m.onHeartbeat(new Heartbeat("expert-1", 1, 100, 1.0, Heartbeat.LEAVING, 1, 11_000));
        m.onHeartbeat(new Heartbeat("expert-1", 1, 100, 1.0, Heartbeat.UP, 1, 9_000)); // replayed, older
        assertThat(m.members(12_000)).extracting(InstanceSpec::id).containsExactly("expert-0");
        assertThat(m.members(16_001)).as("expert-0 silent for more than 6 s").isEmpty();
    }
}
