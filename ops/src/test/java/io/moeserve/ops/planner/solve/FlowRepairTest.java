package io.moeserve.ops.planner.solve;

import io.moeserve.core.placement.InstanceSpec;
import io.moeserve.core.placement.PlacementPlan;
import io.moeserve.core.placement.PlacementPlans;
import io.moeserve.ops.planner.ModelShape;
import io.moeserve.ops.planner.stats.WindowStats;
import io.moeserve.ops.planner.trace.RoutingTrace;
import io.moeserve.ops.planner.trace.SyntheticTraces;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link FlowRepair} turns a previous plan that breaks the balance cap under new loads into one
 * that keeps it: every expert placed, slots kept, tokens summing to each expert's load, no instance
 * over the cap, and only a few new copies, never fewer than the bound proves necessary.
 */
class FlowRepairTest {

    private static final ModelShape SHAPE = new ModelShape("mid", 4, 32, 4, 1L << 20);

    /** 5 slots per instance: all full; 6: free slots, but no copies to spare beyond {@code physical}. */
    @ParameterizedTest
    @ValueSource(ints = {5, 6})
    void repair_fitsTheCapWithFewNewCopies_fromAPlanBlindToTheLoads(int slots) {
        RoutingTrace t = SyntheticTraces.generate(SHAPE, 2, 2000, 11);
        List<InstanceSpec> inst = PlacementPlans.uniformInstances(8, (long) slots * SHAPE.layers() * SHAPE.expertBytes());
        PlanningProblem first = problem(t.window(0, 2), inst, null);
        PlacementPlan blind = new RoundRobinSolver().solve(first).plan();
        PlanningProblem p = problem(t.window(1, 2), inst, blind);
        int repairedLayers = 0;
        for (LayerProblem lp : PerLayerSolver.layerProblems(p)) {
            long tCap = IlpSolver.cap(lp, GreedySolver.layer(lp));
            LayerAssignment prev = IlpSolver.fromPrevious(blind, lp, p);
            assertThat(LayerLns.over(lp, prev, tCap)).as("layer %d: the blind plan breaks the cap", lp.layer).isPositive();

            // the deterministic path and a randomised one (IlpSolver's restarts) keep the same promises
            for (SplittableRandom rnd : new SplittableRandom[] {null, new SplittableRandom(lp.layer)}) {
                LayerAssignment a = FlowRepair.repair(lp, prev, tCap, 40, System.nanoTime() + 5_000_000_000L, rnd);

                if (a == null) continue;
                repairedLayers++;
                assertThat(LayerLns.over(lp, a, tCap)).as("layer %d within the cap", lp.layer).isZero();
                int[] used = new int[lp.instances];
                int copies = 0;
                long fresh = 0;
                for (int e = 0; e < lp.experts; e++) {
                    assertThat(a.hosts[e]).as("expert %d placed", e).isNotEmpty();
                    long sum = 0;
                    for (int r = 0; r < a.hosts[e].length; r++) {
                        used[a.hosts[e][r]]++;
                        sum += a.tokens[e][r];
                        copies++;
                        if (!lp.prevHost[e][a.hosts[e][r]]) fresh++;
                    }
                    assertThat(sum).as("expert %d's tokens", e).isEqualTo(lp.load[e]);
                }
                for (int i = 0; i < lp.instances; i++) assertThat(used[i]).isLessThanOrEqualTo(lp.cap[i]);
                assertThat(copies).isLessThanOrEqualTo(lp.physical);
                long forced = Math.max(StayFlow.analyse(lp, tCap)[1], StayFlow.copiesToCover(lp, StayFlow.deficit(lp, tCap)));
                assertThat(fresh).as("layer %d: new copies", lp.layer).isGreaterThanOrEqualTo(forced).isLessThanOrEqualTo(lp.experts / 2);
            }
        }
        assertThat(repairedLayers).as("layers repaired").isPositive();
    }

    private static PlanningProblem problem(RoutingTrace window, List<InstanceSpec> inst, PlacementPlan previous) {
        return new PlanningProblem("mid", previous == null ? 1 : 2, WindowStats.of(window), inst, 8, SHAPE.expertBytes(),
                previous, new CostWeights(1.0, 0.3 / inst.size(), 0.05, 0.005), 5, 2, 1);
    }
}
