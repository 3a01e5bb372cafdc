package io.moeserve.ops.planner;

import io.moeserve.core.placement.ExpertPlacement;
import io.moeserve.core.placement.InstanceSpec;
import io.moeserve.core.placement.PlacementPlan;
import io.moeserve.core.placement.PlacementPlans;
import io.moeserve.ops.planner.cost.PlanEvaluator;
import io.moeserve.ops.planner.solve.ContiguousSolver;
import io.moeserve.ops.planner.solve.CostWeights;
import io.moeserve.ops.planner.solve.GreedySolver;
import io.moeserve.ops.planner.solve.IlpSolver;
import io.moeserve.ops.planner.solve.PlacementSolver;
import io.moeserve.ops.planner.solve.PlanningProblem;
import io.moeserve.ops.planner.solve.RoundRobinSolver;
import io.moeserve.ops.planner.solve.Solution;
import io.moeserve.ops.planner.stats.WindowStats;
import io.moeserve.ops.planner.trace.RoutingTrace;
import io.moeserve.ops.planner.trace.SyntheticTraces;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class SolversTest {

    /** Qwen3 experts on 4 layers only: big enough to be skewed and clustered, small enough to be quick. */
    private static final ModelShape SMALL = new ModelShape("qwen-4l", 4, 128, 8, 3L * 2048 * 768 * 2);

    static PlanningProblem problem(ModelShape shape, RoutingTrace window, List<InstanceSpec> instances, int replicas,
                                   PlacementPlan previous, double seconds) {
        return new PlanningProblem(shape.name(), 1, WindowStats.of(window), instances, replicas, shape.expertBytes(),
                previous, new CostWeights(1.0, 0.3 / instances.size(), 0.05, 0.005), seconds, 2, 1);
    }

    static List<InstanceSpec> uniform(ModelShape shape, int n, int replicas) {
        long mem = (long) Math.ceilDiv(shape.experts() + replicas, n) * shape.layers() * shape.expertBytes();
        return PlacementPlans.uniformInstances(n, mem);
    }

    @Test
    void everyMethod_placesEveryExpert_withinMemory() {
        RoutingTrace t = SyntheticTraces.generate(SMALL, 1, 1024, 1);
        List<InstanceSpec> inst = uniform(SMALL, 8, 8);
        PlanningProblem p = problem(SMALL, t, inst, 8, null, 3);
        for (PlacementSolver s : List.of(new RoundRobinSolver(), new ContiguousSolver(), new GreedySolver(), new IlpSolver())) {
            PlacementPlan plan = s.solve(p).plan();
            assertThat(plan.problems()).as(s.name()).isEmpty();
            assertThat(plan.validateMemory(SMALL.expertBytes())).isSameAs(plan);
        }
    }

    @Test
    void greedy_usesExactlyTheReplicaSlots_andReplicatesTheHottestExperts() {
        RoutingTrace t = SyntheticTraces.generate(SMALL, 1, 2048, 2);
        PlanningProblem p = problem(SMALL, t, uniform(SMALL, 8, 8), 8, null, 1);
        PlacementPlan plan = new GreedySolver().solve(p).plan();
        WindowStats s = p.stats();
        for (int l = 0; l < SMALL.layers(); l++) {
            int copies = 0;
            int hottest = 0;
            for (int e = 0; e < 128; e++) {
                copies += plan.replicas(l, e).size();
                if (s.load()[l][e] > s.load()[l][hottest]) hottest = e;
            }
            assertThat(copies).isEqualTo(128 + 8);
            assertThat(plan.replicas(l, hottest).size()).isGreaterThan(1);
        }
    }

    @Test
    void greedy_balancesSkewedLoadFarBetterThanRoundRobin() {
        RoutingTrace t = SyntheticTraces.generate(SMALL, 1, 2048, 3);
        PlanningProblem p = problem(SMALL, t, uniform(SMALL, 8, 8), 8, null, 1);
        double rr = PlanEvaluator.evaluate(new RoundRobinSolver().solve(p).plan(), t).maxMean();
        double greedy = PlanEvaluator.evaluate(new GreedySolver().solve(p).plan(), t).maxMean();
        assertThat(greedy).isLessThan(1.05).isLessThan(rr - 0.2);
    }

    @Test
    void ilp_isNeverWorseThanItsGreedyWarmStart_andReportsABound() {
        RoutingTrace t = SyntheticTraces.generate(SMALL, 1, 2048, 4);
        PlanningProblem p = problem(SMALL, t, uniform(SMALL, 8, 8), 8, null, 4);
        Solution greedy = new GreedySolver().solve(p);
        Solution ilp = new IlpSolver().solve(p);
        assertThat(ilp.objective()).isLessThanOrEqualTo(greedy.objective());
        assertThat(ilp.bound()).isGreaterThan(0).isLessThanOrEqualTo(ilp.objective());
        assertThat(ilp.gap()).isBetween(0.0, 1.0);
        assertThat(greedy.gap()).isNaN();
    }

    @Test
    void heterogeneousSpeeds_fasterInstancesTakeMoreTokens() {
        ModelShape shape = new ModelShape("m", 2, 32, 2, 1000);
        RoutingTrace t = SyntheticTraces.generate(shape, 1, 4096, 5);
        List<InstanceSpec> inst = new ArrayList<>();
        for (int i = 0; i < 4; i++) inst.add(new InstanceSpec("expert-" + i, i, 2 * 16 * 1000, i == 0 ? 2.0 : 1.0, ""));
        PlanningProblem p = problem(shape, t, inst, 8, null, 3);
        for (PlacementSolver s : List.of(new GreedySolver(), new IlpSolver())) {
            PlanEvaluator.Evaluation e = PlanEvaluator.evaluate(s.solve(p).plan(), t);
            for (int l = 0; l < 2; l++) {
                long[] load = e.instanceLoad()[l];
                assertThat((double) load[0]).as(s.name()).isGreaterThan(1.6 * Math.max(load[1], Math.max(load[2], load[3])));
            }
            assertThat(e.maxMean()).as(s.name()).isLessThan(1.1);
        }
    }

    @Test
    void ilp_rePlanningFromItsOwnPlan_movesFarFewerExpertsThanGreedyFromScratch() {
        RoutingTrace t = SyntheticTraces.generate(SMALL, 2, 2048, 6);
        List<InstanceSpec> inst = uniform(SMALL, 8, 8);
        PlacementPlan first = new IlpSolver().solve(problem(SMALL, t.window(0, 2), inst, 8, null, 3)).plan();
        PlanningProblem second = problem(SMALL, t.window(1, 2), inst, 8, first, 4);
        long greedyMoved = PlanEvaluator.migrationBytes(first, new GreedySolver().solve(second).plan(), SMALL.expertBytes());
        Solution ilp = new IlpSolver().solve(second);
        long ilpMoved = PlanEvaluator.migrationBytes(first, ilp.plan(), SMALL.expertBytes());
        assertThat(ilpMoved).isLessThan(greedyMoved / 2);
        double greedyBalance = PlanEvaluator.evaluate(new GreedySolver().solve(second).plan(), t.window(1, 2)).maxMean();
        assertThat(PlanEvaluator.evaluate(ilp.plan(), t.window(1, 2)).maxMean()).isLessThan(greedyBalance * 1.01);
    }

    @Test
    void migrationBytes_countsCopiesAnInstanceMustLoad() {
        List<InstanceSpec> inst = PlacementPlans.uniformInstances(2, 1 << 20);
        PlacementPlan a = PlacementPlans.roundRobin("m", 1, 4, inst);
        List<ExpertPlacement> ps = new ArrayList<>(a.placements());
        ps.set(0, ExpertPlacement.single(0, 0, "expert-1")); // expert 0 moves
        PlacementPlan b = new PlacementPlan(2, "m", 1, 4, inst, ps);
        assertThat(PlanEvaluator.migrationBytes(a, b, 100)).isEqualTo(100);
        assertThat(PlanEvaluator.migrationBytes(a, a, 100)).isZero();
        assertThat(PlanEvaluator.migrationBytes(null, b, 100)).isZero();
    }
}
