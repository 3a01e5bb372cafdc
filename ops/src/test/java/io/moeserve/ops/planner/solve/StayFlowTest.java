package io.moeserve.ops.planner.solve;

import io.moeserve.core.placement.ExpertPlacement;
import io.moeserve.core.placement.InstanceSpec;
import io.moeserve.core.placement.PlacementPlan;
import io.moeserve.core.placement.PlacementPlans;
import io.moeserve.core.placement.Replica;
import io.moeserve.ops.planner.stats.WindowStats;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class StayFlowTest {

    /**
     * One layer, 4 experts of loads 40, 30, 20, 10 on 2 instances (cap 50 each under the balance
     * cap). Previously: instance 0 held experts 0 and 1 alone (70 tokens), instance 1 held 2 and 3.
     */
    private static LayerProblem layer(boolean replicateExpert1) {
        double[][] load = {{40, 30, 20, 10}};
        WindowStats s = new WindowStats(1, 4, 1, 100, load, new double[1][16], new double[0][]);
        List<InstanceSpec> inst = PlacementPlans.uniformInstances(2, 3);
        List<ExpertPlacement> ps = new ArrayList<>();
        ps.add(ExpertPlacement.single(0, 0, "expert-0"));
        ps.add(replicateExpert1
                ? new ExpertPlacement(0, 1, List.of(new Replica("expert-0", 0.5), new Replica("expert-1", 0.5)))
                : ExpertPlacement.single(0, 1, "expert-0"));
        ps.add(ExpertPlacement.single(0, 2, "expert-1"));
        ps.add(ExpertPlacement.single(0, 3, "expert-1"));
        PlacementPlan prev = new PlacementPlan(1, "m", 1, 4, inst, ps);
        PlanningProblem p = new PlanningProblem("m", 2, s, inst, 1, 1, prev, new CostWeights(1, 0, 1, 0), 1, 1, 1);
        return new LayerProblem(p, 0, 3);
    }

    @Test
    void deficit_isTheLoadThePreviousHostsCannotCarry() {
        LayerProblem lp = layer(false);
        long tCap = 50; // tokens per instance (speed 1)
        assertThat(StayFlow.deficit(lp, tCap)).isEqualTo(20); // instance 0 must carry 70
        long[] a = StayFlow.analyse(lp, tCap);
        assertThat(a[1]).isEqualTo(1); // instance 1 has 20 spare: one head suffices
        assertThat(StayFlow.copiesToCover(lp, a[0])).isEqualTo(1);
    }

    @Test
    void deficit_isZero_whenReSplittingAReplicaRebalances() {
        // expert 1 already has a copy on instance 1: 20 of its tokens shift there, nothing moves
        assertThat(StayFlow.deficit(layer(true), 50)).isZero();
    }
}
