package io.moeserve.core.placement;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class ReplicaSelectorTest {

    private static final List<InstanceSpec> THREE = PlacementPlans.uniformInstances(3, 1L << 30);

    /** 1 layer, 3 experts: 0 on X(0) only, 1 on X and Y with the given shares, 2 on Z(2) only. */
    private static PlacementPlan plan(double shareX, double shareY) {
        return new PlacementPlan(1, "m", 1, 3, THREE, List.of(
                ExpertPlacement.single(0, 0, "expert-0"),
                new ExpertPlacement(0, 1, List.of(new Replica("expert-0", shareX), new Replica("expert-1", shareY))),
                ExpertPlacement.single(0, 2, "expert-2")));
    }

    @Test
    void singleReplicaExperts_goWhereThePlanSays() {
        ReplicaSelector s = new ReplicaSelector(plan(0.5, 0.5));
        assertThat(s.select(0, new int[] {2, 0})).containsExactly(2, 0);
    }

    @Test
    void replicatedExpertAlone_followsItsSharesExactlyInTheLongRun() {
        ReplicaSelector s = new ReplicaSelector(plan(0.25, 0.75));
        int onX = 0;
        for (int t = 0; t < 10_000; t++) {
            if (s.select(0, new int[] {1})[0] == 0) onX++;
        }
        assertThat(onX).isEqualTo(2500);
    }

    @Test
    void replicatedExpert_prefersTheInstanceTheTokenAlreadyUses() {
        ReplicaSelector s = new ReplicaSelector(plan(0.5, 0.5));
        // Expert 0 forces instance 0, so expert 1 joins it there: one message, not two.
        int[] out = new int[2];
        int messages = s.select(0, new int[] {1, 0}, 2, out);
        assertThat(out).containsExactly(0, 0);
        assertThat(messages).isEqualTo(1);
    }

    @Test
    void coLocationPreference_neverBreaksPlannedSharesBeyondTheSlack() {
        ReplicaSelector s = new ReplicaSelector(plan(0.5, 0.5));
        Random rnd = new Random(1);
        int onX = 0;
        int total = 0;
        int messages = 0;
        for (int t = 0; t < 20_000; t++) {
            // 80% of tokens pair expert 1 with expert 0 (which lives on X): co-location pulls to X.
            int[] sel = rnd.nextDouble() < 0.8 ? new int[] {1, 0} : new int[] {1, 2};
            int[] out = new int[2];
            messages += s.select(0, sel, 2, out);
            total++;
            if (out[0] == 0) onX++;
        }
        assertThat(Math.abs(onX - total / 2)).isLessThanOrEqualTo(3);
        // Every token that meets its replica's partner is still served with one message as long as
        // shares allow: 50% of tokens can be co-located with X at most, 20% with Z never.
        assertThat(messages).isBetween((int) (total * 1.45), (int) (total * 1.55));
    }

    @Test
    void selection_isDeterministicGivenPlanAndCallSequence() {
        PlacementPlan plan = plan(0.3, 0.7);
        ReplicaSelector a = new ReplicaSelector(plan);
        ReplicaSelector b = new ReplicaSelector(plan);
        Random rnd = new Random(7);
        for (int t = 0; t < 1000; t++) {
            int[] sel = rnd.nextBoolean() ? new int[] {1, 2} : new int[] {0, 1};
            assertThat(a.select(0, sel)).containsExactly(b.select(0, sel));
        }
        a.reset();
        ReplicaSelector c = new ReplicaSelector(plan);
        assertThat(a.select(0, new int[] {1})).containsExactly(c.select(0, new int[] {1}));
    }

    @Test
    void zeroShareReplica_isNeverChosenEvenWhenCoLocated() {
        ReplicaSelector s = new ReplicaSelector(plan(0.0, 1.0));
        for (int t = 0; t < 100; t++) {
            assertThat(s.select(0, new int[] {0, 1})).containsExactly(0, 1);
        }
    }

    @Test
    void prefersTheInstanceThatAlsoServesTheTokensOtherReplicatedExpert() {
        // Experts 0 and 1 both replicated on {X, Y} and on {Y, Z}: Y serves both in one message.
        PlacementPlan plan = new PlacementPlan(1, "m", 1, 2, THREE, List.of(
                new ExpertPlacement(0, 0, List.of(new Replica("expert-0", 0.5), new Replica("expert-1", 0.5))),
                new ExpertPlacement(0, 1, List.of(new Replica("expert-1", 0.5), new Replica("expert-2", 0.5)))));
        ReplicaSelector s = new ReplicaSelector(plan);
        int[] out = new int[2];
        assertThat(s.select(0, new int[] {0, 1}, 2, out)).isEqualTo(1);
        assertThat(out).containsExactly(1, 1);
    }
}
