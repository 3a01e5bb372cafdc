package io.moeserve.core.placement;

import io.moeserve.core.wire.PlanAck;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class PlanActivationTest {

    private static PlacementPlan plan(long version, int instances) {
        return PlacementPlans.roundRobin("m", 2, 4, PlacementPlans.uniformInstances(instances, Long.MAX_VALUE)).withVersion(version);
    }

    private static PlanAck loaded(String id, long v) {
        return new PlanAck(id, v, PlanAck.LOADED, 1, 1, "");
    }

    @Test
    void planBecomesActive_onlyWhenEveryInstanceItNamesAckedIt() {
        PlanActivation a = new PlanActivation(1);
        assertThat(a.onPlan(plan(2, 2))).isEmpty();
        assertThat(a.onAck(loaded("expert-0", 2))).isEmpty();
        assertThat(a.waitingFor()).containsExactly("expert-1");
        assertThat(a.onAck(loaded("expert-1", 2))).hasValueSatisfying(p -> assertThat(p.version()).isEqualTo(2));
        assertThat(a.activeVersion()).isEqualTo(2);
        assertThat(a.onAck(loaded("expert-1", 2))).as("activated once").isEmpty();
    }

    @Test
    void acksSeenBeforeThePlan_stillCount() {
        PlanActivation a = new PlanActivation(0);
        a.onAck(loaded("expert-0", 5));
        a.onAck(loaded("expert-1", 5));
        assertThat(a.onPlan(plan(5, 2))).isPresent();
    }

    @Test
    void ackOfAnOlderVersion_doesNotActivateANewerPlan() {
        PlanActivation a = new PlanActivation(1);
        a.onPlan(plan(3, 2));
        a.onAck(loaded("expert-0", 3));
        assertThat(a.onAck(loaded("expert-1", 2))).isEmpty();
        assertThat(a.waitingFor()).containsExactly("expert-1");
    }

    @Test
    void failedAck_blocksActivationAndIsReported() {
        PlanActivation a = new PlanActivation(1);
        a.onPlan(plan(2, 2));
        a.onAck(loaded("expert-0", 2));
        assertThat(a.onAck(new PlanAck("expert-1", 2, PlanAck.FAILED, 0, 0, "out of memory"))).isEmpty();
        assertThat(a.failures()).extracting(PlanAck::instance).containsExactly("expert-1");
    }

    @Test
    void planNotNewerThanTheActiveOne_isNeverActivated() {
        PlanActivation a = new PlanActivation(4);
        a.onAck(loaded("expert-0", 3));
        a.onAck(loaded("expert-1", 3));
        assertThat(a.onPlan(plan(3, 2))).isEmpty();
        assertThat(a.activeVersion()).isEqualTo(4);
    }

    @Test
    void newerProposal_supersedesAPendingOne() {
        PlanActivation a = new PlanActivation(1);
        a.onPlan(plan(2, 2));
        a.onAck(loaded("expert-0", 2));
        a.onPlan(plan(3, 3));
        assertThat(a.onAck(loaded("expert-1", 2))).isEmpty();
        a.onAck(loaded("expert-0", 3));
        a.onAck(loaded("expert-1", 3));
        assertThat(a.onAck(loaded("expert-2", 3))).hasValueSatisfying(p -> assertThat(p.instances()).hasSize(3));
    }
}
