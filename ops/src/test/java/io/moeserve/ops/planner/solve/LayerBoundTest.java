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

    /** Layer 0 of the second window, re-planned from a round-robin plan of the first (blind to its loads). */
    private static LayerProblem replanOfBlindPlan(long seed) {
        RoutingTrace t = SyntheticTraces.generate(SHAPE, 2, 200, seed);
        List<InstanceSpec> inst = PlacementPlans.uniformInstances(3, (long) 4 * SHAPE.layers() * SHAPE.expertBytes());
        PlacementPlan blind = new RoundRobinSolver().solve(problem(t.window(0, 2), inst, null)).plan();
        return PerLayerSolver.layerProblems(problem(t.window(1, 2), inst, blind))[0];
    }

    /**
     * {@link LayerBound#addNewPairCharge}'s row, checked against every single-copy placement of a
     * small layer and random replicated ones: the weight of pairs brought together that never shared
     * an instance before is at most {@code sum_e G_e} over the new copies. The all-on-one-instance
     * re-plan of a round-robin plan brings heavy pairs together, so the row is exercised, not slack.
     */
    @ParameterizedTest
    @ValueSource(longs = {2, 4, 7})
    void newPairCharge_boundsTheCoActivationNewCopiesBringTogether_inEveryPlacement(long seed) {
        LayerProblem lp = replanOfBlindPlan(seed);
        int cap = 4;
        boolean[] never = LayerBound.neverTogether(lp);
        long[] g = LayerBound.newPairCharge(lp, never, cap);
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(seed);
        int n = lp.instances;
        int[] place = new int[lp.experts];
        double tightest = 0;
        for (long code = 0; code < Math.round(Math.pow(n, lp.experts)); code++) { // single copies, within the slots
            long c = code;
            int[] used = new int[n];
            boolean fits = true;
            for (int e = 0; e < lp.experts; e++) {
                place[e] = (int) (c % n);
                c /= n;
                fits &= ++used[place[e]] <= cap;
            }
            if (!fits) continue;
            boolean[][] host = new boolean[lp.experts][n];
            for (int e = 0; e < lp.experts; e++) host[e][place[e]] = true;
            tightest = Math.max(tightest, checkCharge(lp, never, g, host));
        }
        for (int k = 0; k < 20_000; k++) { // with replicas: each expert on a random non-empty set
            boolean[][] host = new boolean[lp.experts][n];
            for (int e = 0; e < lp.experts; e++) {
                int set = 1 + rnd.nextInt((1 << n) - 1);
                for (int i = 0; i < n; i++) host[e][i] = (set >> i & 1) == 1;
            }
            tightest = Math.max(tightest, checkCharge(lp, never, g, host));
        }
        assertThat(tightest).as("the row binds for some placement").isGreaterThan(0.5);
    }

    /**
     * {@link StayFlow#families}: in every placement of a small layer that carries all tokens within the
     * balance cap (shares re-split by max flow), each block's experts have at least its count of
     * copies outside the block. Single-copy placements are enumerated; replicated ones sampled.
     */
    @ParameterizedTest
    @ValueSource(longs = {2, 4, 7})
    void blocks_forceTheirCountOfNewCopies_inEveryPlacementWithinTheCap(long seed) {
        LayerProblem lp = replanOfBlindPlan(seed);
        long tCap = IlpSolver.cap(lp, GreedySolver.layer(lp));
        List<StayFlow.Block> blocks = new java.util.ArrayList<>();
        for (List<StayFlow.Block> family : StayFlow.families(lp, tCap)) blocks.addAll(family);
        assertThat(blocks).as("the blind plan's blocks force copies").isNotEmpty();
        int n = lp.instances;
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(seed);
        int feasible = 0;
        long tightest = Long.MAX_VALUE;
        for (long code = 0; code < Math.round(Math.pow(n, lp.experts)); code++) {
            boolean[][] host = new boolean[lp.experts][n];
            long c = code;
            for (int e = 0; e < lp.experts; e++) {
                host[e][(int) (c % n)] = true;
                c /= n;
            }
            long slack = checkBlocks(lp, tCap, blocks, host);
            if (slack >= 0) {
                feasible++;
                tightest = Math.min(tightest, slack);
            }
        }
        for (int k = 0; k < 20_000; k++) {
            boolean[][] host = new boolean[lp.experts][n];
            for (int e = 0; e < lp.experts; e++) {
                int set = 1 + rnd.nextInt((1 << n) - 1);
                for (int i = 0; i < n; i++) host[e][i] = (set >> i & 1) == 1;
            }
            long slack = checkBlocks(lp, tCap, blocks, host);
            if (slack >= 0) {
                feasible++;
                tightest = Math.min(tightest, slack);
            }
        }
        assertThat(feasible).as("placements within the cap exist").isPositive();
        assertThat(tightest).as("some placement meets the counts exactly").isZero();
    }

    /**
     * For a placement within the cap, asserts every block's count and returns the least surplus of
     * copies over a count; {@code -1} if the placement cannot carry the tokens within the cap.
     */
    private static long checkBlocks(LayerProblem lp, long tCap, List<StayFlow.Block> blocks, boolean[][] host) {
        int n = lp.instances;
        int E = lp.experts;
        StayFlow.Graph g = new StayFlow.Graph(E + n + 2);
        long total = 0;
        for (int e = 0; e < E; e++) {
            if (lp.load[e] == 0) continue;
            total += lp.load[e];
            g.arc(E + n, e, lp.load[e]);
            for (int i = 0; i < n; i++) if (host[e][i]) g.arc(e, E + i, lp.load[e]);
        }
        for (int i = 0; i < n; i++) g.arc(E + i, E + n + 1, tCap * lp.speedMilli[i] / 1000);
        if (g.maxFlow(E + n, E + n + 1) < total) return -1;
        long least = Long.MAX_VALUE;
        for (StayFlow.Block b : blocks) {
            boolean[] inBlock = new boolean[n];
            for (int i : b.instances()) inBlock[i] = true;
            long outside = 0;
            for (int e : b.experts()) for (int i = 0; i < n; i++) if (host[e][i] && !inBlock[i]) outside++;
            assertThat(outside).as("copies outside a block of deficit %d", b.deficit()).isGreaterThanOrEqualTo(b.copies());
            least = Math.min(least, outside - b.copies());
        }
        return least;
    }

    /** Asserts the row for one placement (slots per instance ignored: the row does not need them beyond cap); returns lhs / rhs. */
    private static double checkCharge(LayerProblem lp, boolean[] never, long[] g, boolean[][] host) {
        int n = lp.instances;
        for (int i = 0; i < n; i++) {
            int on = 0;
            for (boolean[] h : host) if (h[i]) on++;
            if (on > 4) return 0; // not a placement of this layer: more copies than slots
        }
        long lhs = 0;
        for (int q = 0; q < never.length; q++) {
            if (!never[q]) continue;
            for (int i = 0; i < n; i++) {
                if (host[lp.pairA[q]][i] && host[lp.pairB[q]][i]) {
                    lhs += lp.pairCoef[q];
                    break;
                }
            }
        }
        long rhs = 0;
        for (int e = 0; e < lp.experts; e++) {
            for (int i = 0; i < n; i++) if (host[e][i] && !lp.prevHost[e][i]) rhs += g[e];
        }
        assertThat(lhs).as("charged weight").isLessThanOrEqualTo(rhs);
        return rhs == 0 ? 0 : (double) lhs / rhs;
    }

    private static PlanningProblem problem(RoutingTrace window, List<InstanceSpec> inst, PlacementPlan previous) {
        return new PlanningProblem("small", previous == null ? 1 : 2, WindowStats.of(window), inst, 2, SHAPE.expertBytes(),
                previous, new CostWeights(1.0, 0.3 / inst.size(), 0.05, 0.005), 5, 2, 1);
    }
}
