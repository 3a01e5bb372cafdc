package io.moeserve.ops.planner.solve;

import io.moeserve.core.placement.PlacementPlans;
import io.moeserve.ops.planner.ModelShape;
import io.moeserve.ops.planner.stats.WindowStats;
import io.moeserve.ops.planner.trace.SyntheticTraces;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class NoBalanceCapTest {

    @Test
    void ilp_withoutBalanceCap_plansALargeLayer_insteadOfOverflowingTheStragglerDomain() {
        ModelShape shape = new ModelShape("qwen-1l", 1, 128, 8, 1L << 20);
        PlanningProblem p = new PlanningProblem("qwen-1l", 1, WindowStats.of(SyntheticTraces.generate(shape, 1, 1024, 3)),
                PlacementPlans.uniformInstances(8, 17L << 20), 8, 1L << 20, null,
                new CostWeights(1.0, 0.3 / 8, 0.05, -1), 2, 1, 1); // negative slack: no cap

        Solution s = new IlpSolver().solve(p);

        assertThat(s.plan().problems()).isEmpty();
        assertThat(s.bound()).isPositive().isLessThanOrEqualTo(s.objective());
    }
}
