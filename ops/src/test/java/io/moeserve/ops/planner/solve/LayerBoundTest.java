package io.moeserve.ops.planner.solve;

import com.google.ortools.sat.CpSolverStatus;
import io.moeserve.core.placement.InstanceSpec;
import io.moeserve.core.placement.PlacementPlan;
import io.moeserve.core.placement.PlacementPlans;
import io.moeserve.ops.planner.ModelShape;
import io.moeserve.ops.planner.stats.WindowStats;
import io.moeserve.ops.planner.trace.RoutingTrace;
import io.moeserve.ops.planner.trace.SyntheticTraces;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The reported bound must never exceed what the best plan costs. On layers small enough for
 * CP-SAT to prove the optimum of the full model (the exact problem under the cost model and the
 * balance cap), {@link LayerBound} stays at or below that optimum, from scratch and when
 * re-planning from a previous plan under drifted loads.
 */
class LayerBoundTest {

    private static final ModelShape SHAPE = new ModelShape("small", 1, 10, 2, 1L << 20);

    @BeforeAll
    static void natives() {
        IlpSolver.loadNatives();
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 3, 5, 6})
    void bound_isAtMostTheProvenOptimum_fromScratchAndWhenReplanning(long seed) {
        RoutingTrace t = SyntheticTraces.generate(SHAPE, 2, 200, seed);
        List<InstanceSpec> inst = PlacementPlans.uniformInstances(3, (long) 4 * SHAPE.layers() * SHAPE.expertBytes());
        PlanningProblem first = problem(t.window(0, 2), inst, null);
        // a previous plan tuned to other loads (greedy's) and one blind to them (round-robin's): the
        // latter leaves instances far over the cap, so forced moves (StayFlow) bind
        PlacementPlan tuned = new GreedySolver().solve(first).plan();
        PlacementPlan blind = new RoundRobinSolver().solve(first).plan();
        boolean forcedMoves = false;
        for (PlanningProblem p : List.of(first, problem(t.window(1, 2), inst, tuned), problem(t.window(1, 2), inst, blind))) {
            for (LayerProblem lp : PerLayerSolver.layerProblems(p)) {
                LayerAssignment greedy = GreedySolver.layer(lp);
                long tCap = IlpSolver.cap(lp, greedy);
                assertThat(ClusterCuts.cuts(lp, 4, lp.physical - lp.experts)).as("cluster cuts take part").isNotEmpty();
                forcedMoves |= StayFlow.deficit(lp, tCap) > 0;
                LayerIlp.Result best = LayerIlp.full(lp, greedy, tCap, 60, 2, seed);
                assertThat(best.status()).as("the small layer is solved to optimality").isEqualTo(CpSolverStatus.OPTIMAL);
                double optimum = LayerCost.of(lp, best.assignment()).objective();

                double bound = LayerBound.solve(lp, tCap, 5);

                assertThat(bound).as("layer %d, previous plan %s", lp.layer, p.previous() == null ? "none" : p.previous() == tuned ? "greedy" : "round-robin")
                        .isLessThanOrEqualTo(optimum + 1e-9)
                        .isGreaterThanOrEqualTo(IlpSolver.trivialBound(lp));
            }
        }
        assertThat(forcedMoves).as("the blind previous plan forces moves").isTrue();
    }

    private static PlanningProblem problem(RoutingTrace window, List<InstanceSpec> inst, PlacementPlan previous) {
        return new PlanningProblem("small", previous == null ? 1 : 2, WindowStats.of(window), inst, 2, SHAPE.expertBytes(),
                previous, new CostWeights(1.0, 0.3 / inst.size(), 0.05, 0.005), 5, 2, 1);
    }
}
