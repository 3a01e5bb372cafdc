package io.moeserve.ops.planner.solve;

import com.google.ortools.Loader;
import com.google.ortools.sat.CpModel;
import com.google.ortools.sat.CpSolver;
import com.google.ortools.sat.CpSolverStatus;
import com.google.ortools.sat.IntVar;
import io.moeserve.core.placement.ExpertPlacement;
import io.moeserve.core.placement.PlacementPlan;
import io.moeserve.core.placement.Replica;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The ILP planner (OR-Tools CP-SAT). The model is {@link LayerIlp}'s: placement binaries with
 * replicas, token shares per replica, slots (memory) per instance, instance speeds, and the
 * objective of {@link LayerCost} (straggler + messages + migration, {@link CostWeights}), plus a
 * balance cap of {@code (1 + balanceSlack)} times the greedy plan's straggler. This class owns how
 * the problem is cut up and how the time limit is spent.
 *
 * <p><b>Decomposition.</b> (1) Per layer, exactly: memory is split evenly over layers, the objective
 * is a sum of per-layer terms and no constraint spans layers, so layers are solved independently,
 * {@code threads} at a time. (2) Within a layer, by size. Without spare slots and with few experts
 * (Mixtral, tiny-moe) the equivalent set-partitioning model {@link LayerGroupIlp} is solved to
 * proven optimality. A layer whose assignment model is small is solved whole by CP-SAT. A large
 * layer (DeepSeek-V3: 256 experts x 32 instances, ~75k pair variables) gets its warm start improved
 * by {@link LayerLocalSearch} (iterated: random exchanges, then the search again), then
 * {@link LayerLns}: CP-SAT re-solves the same model over a few
 * instances at a time; its lower bound is the LP of the relaxation {@link LayerBound} (GLOP, the
 * bound itself recomputed from the duals so that it is proven, not a float). The reported bound is
 * the sum of per-layer bounds, so the gap is a true gap of the whole plan under the cost model (for
 * large layers a loose one: the relaxation sees co-location and balance only per expert and per
 * cluster, not per instance).
 *
 * <p><b>Warm start and fallback.</b> Each layer starts from the previous plan repaired to the cap
 * (shares first, then the fewest moves; a large layer first gets {@link FlowRepair}'s new copies,
 * placed where the max flow of tokens needs them), if that beats greedy, else from greedy (EPLB). A layer
 * whose search ends no better than greedy keeps greedy. Stateless: a planner service can call
 * {@link #solve} for live re-plans with the live plan as {@code previous}.
 */
public final class IlpSolver implements PlacementSolver {

    /** Layers whose full model has at most this many pair-instance variables are solved whole. */
    static final int FULL_MODEL_MAX_PAIR_VARS = 6000;
    /**
     * Share of a large layer's time given to the iterated local search before CP-SAT's
     * neighbourhoods: from a local optimum, kicks and re-searches gain more than the neighbourhoods.
     */
    static final double LOCAL_SEARCH_SHARE = 0.9;

    /**
     * Most new copies {@link FlowRepair} adds, and the share of a large layer's time it may take: it
     * usually needs a small part of it, but a re-plan it fails starts from a far costlier repair.
     */
    static final int FLOW_REPAIR_MOVES = 40;
    static final double FLOW_REPAIR_SHARE = 0.8;
    /** Until this share of a large layer's time, {@link FlowRepair} restarts along other paths. */
    static final double FLOW_RESTART_SHARE = 0.4;

    /** Every layer gets at least this long, even past the overall limit (so it can prove a bound). */
    static final long MIN_LAYER_NANOS = 20_000_000;
    /** Longest local search that builds a whole-layer model's hint. */
    static final long HINT_SEARCH_NANOS = 200_000_000;
    private static final boolean DEBUG = Boolean.getBoolean("moe.plan.debug");
    private static volatile boolean nativesLoaded;

    @Override
    public String name() {
        return "ilp";
    }

    /**
     * Loads OR-Tools' native library once per JVM and runs one trivial solve, so that one-time
     * start-up (library unpacking, solver initialisation) is not charged to the first plan.
     */
    public static void loadNatives() {
        if (nativesLoaded) return;
        synchronized (IlpSolver.class) {
            if (!nativesLoaded) {
                Loader.loadNativeLibraries();
                CpModel m = new CpModel();
                IntVar v = m.newIntVar(0, 3, "v");
                m.addGreaterOrEqual(v, 1);
                m.minimize(v);
                new CpSolver().solve(m);
                nativesLoaded = true;
            }
        }
    }

    private record LayerOutcome(LayerAssignment assignment, double objective, double bound, boolean optimal,
                                boolean fellBack) {
    }

    @Override
    public Solution solve(PlanningProblem p) {
        loadNatives(); // not part of the solve time: once per JVM
        long start = System.nanoTime();
        // 90% of the limit: CP-SAT and model building overshoot their own limits a little
        long deadline = start + (long) (p.timeLimitSeconds() * 0.9e9);
        LayerProblem[] lps = PerLayerSolver.layerProblems(p);
        int threads = Math.max(1, Math.min(p.threads(), lps.length));
        AtomicInteger started = new AtomicInteger();
        LayerOutcome[] out = new LayerOutcome[lps.length];
        try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            List<Future<LayerOutcome>> futures = new ArrayList<>();
            for (LayerProblem lp : lps) {
                futures.add(pool.submit(() -> {
                    int before = started.getAndIncrement();
                    double share = Math.min(1.0, (double) threads / (lps.length - before));
                    long now = System.nanoTime();
                    long fair = now + Math.max(MIN_LAYER_NANOS, (long) ((deadline - now) * share));
                    long t0 = System.nanoTime();
                    LayerOutcome o = solveLayer(p, lp, fair, Math.max(fair, deadline));
                    if (DEBUG) {
                        System.err.printf("ilp layer %d: %.3fs of %.3fs objective %.5f bound %.5f%s%s%n", lp.layer,
                                (System.nanoTime() - t0) / 1e9, (fair - t0) / 1e9, o.objective(), o.bound(),
                                o.optimal() ? " optimal" : "", o.fellBack() ? " fell back" : "");
                    }
                    return o;
                }));
            }
            for (int l = 0; l < lps.length; l++) out[l] = futures.get(l).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("ILP planning interrupted", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("ILP planning failed: " + e.getCause().getMessage(), e.getCause());
        }
        LayerAssignment[] assignments = new LayerAssignment[lps.length];
        double objective = 0;
        double bound = 0;
        int optimal = 0;
        int fellBack = 0;
        for (int l = 0; l < lps.length; l++) {
            assignments[l] = out[l].assignment();
            objective += out[l].objective();
            bound += out[l].bound();
            if (out[l].optimal()) optimal++;
            if (out[l].fellBack()) fellBack++;
        }
        String status = (optimal == lps.length ? "OPTIMAL" : "FEASIBLE") + " (" + optimal + "/" + lps.length
                + " layers proven optimal" + (fellBack > 0 ? ", " + fellBack + " kept the warm start" : "") + ")";
        return new Solution(name(), Plans.assemble(p, assignments), objective, bound, Solution.gap(objective, bound),
                (System.nanoTime() - start) / 1e9, status);
    }

    /**
     * @param deadline    this layer's fair share of the remaining time (large-layer search)
     * @param endOfSolve  the overall deadline: a whole-layer model stops as soon as it proves
     *                    optimality, so it may run on until then rather than give up early
     */
    private static LayerOutcome solveLayer(PlanningProblem p, LayerProblem lp, long deadline, long endOfSolve) {
        LayerAssignment greedy = GreedySolver.layer(lp);
        long tCap = cap(lp, greedy);
        long seed = p.seed() * 1_000_003L + lp.layer;
        // Warm start: the previous plan repaired to the balance cap (cheap in migration) when it can
        // be, else greedy. The repair is the local search's first phase.
        LayerAssignment startA = greedy;
        LayerAssignment prev = p.previous() == null ? null : fromPrevious(p.previous(), lp, p);
        long[] groups = LayerGroupIlp.groups(lp);
        boolean large = groups == null && (long) lp.pairA.length * lp.instances > FULL_MODEL_MAX_PAIR_VARS;
        if (prev != null) {
            long flowDeadline = System.nanoTime() + (long) ((deadline - System.nanoTime()) * FLOW_REPAIR_SHARE);
            long restartsEnd = System.nanoTime() + (long) ((deadline - System.nanoTime()) * FLOW_RESTART_SHARE);
            LayerAssignment flowed = !large ? null : FlowRepair.repair(lp, prev, tCap, FLOW_REPAIR_MOVES, flowDeadline);
            for (int k = 1; flowed != null && System.nanoTime() < restartsEnd; k++) { // other greedy paths, the cheapest kept
                LayerAssignment again = FlowRepair.repair(lp, prev, tCap, FLOW_REPAIR_MOVES, restartsEnd,
                        new SplittableRandom(seed + k));
                if (again != null) flowed = better(lp, tCap, flowed, again);
            }
            // the repair window starts after the flow repair: if it fails, the local search still
            // gets half of what is left, as without it
            long repairDeadline = System.nanoTime() + (deadline - System.nanoTime()) / 2;
            LayerAssignment repaired;
            if (flowed == null) {
                repaired = LayerLocalSearch.improve(lp, prev, tCap, repairDeadline, seed);
            } else { // both starts get half the repair time; neither is always better. The flow's
                // own plan is within the cap, so a layer that has one never falls back to greedy
                long half = System.nanoTime() + (repairDeadline - System.nanoTime()) / 2;
                repaired = better(lp, tCap, LayerLocalSearch.improve(lp, prev, tCap, half, seed),
                        LayerLocalSearch.improve(lp, flowed, tCap, repairDeadline, seed));
                repaired = better(lp, tCap, repaired, flowed);
            }
            if (LayerLns.over(lp, repaired, tCap) == 0
                    && LayerLns.score(lp, repaired, tCap) < LayerLns.score(lp, greedy, tCap)) {
                startA = repaired;
            }
        }
        if (startA == greedy && groups == null) { // a few swaps towards co-location: a far better hint
            long lsDeadline = System.nanoTime() + Math.min((deadline - System.nanoTime()) / 5, HINT_SEARCH_NANOS);
            startA = better(lp, tCap, greedy, LayerLocalSearch.improve(lp, greedy, tCap, lsDeadline, seed));
        }
        double greedyScore = LayerLns.score(lp, greedy, tCap);
        double seconds = Math.max(0.01, (deadline - System.nanoTime()) / 1e9);
        double wholeSeconds = Math.max(0.02, (endOfSolve - System.nanoTime()) / 1e9);
        if (groups != null) return outcome(lp, startA, LayerGroupIlp.solve(lp, groups, startA, tCap, wholeSeconds, 1, seed));
        if ((long) lp.pairA.length * lp.instances <= FULL_MODEL_MAX_PAIR_VARS) {
            return outcome(lp, startA, LayerIlp.full(lp, startA, tCap, wholeSeconds, 1, seed));
        }
        double bound = LayerBound.solve(lp, tCap, Math.max(1.0, 0.5 * seconds)); // an LP: done in ~0.1-0.3 s
        long lsDeadline = System.nanoTime() + (long) ((deadline - System.nanoTime()) * LOCAL_SEARCH_SHARE);
        LayerAssignment best = LayerLocalSearch.iterate(lp, startA, tCap, lsDeadline, seed);
        best = LayerLns.improve(lp, best, tCap, deadline, seed);
        boolean fellBack = LayerLns.score(lp, best, tCap) > greedyScore;
        if (fellBack) best = greedy;
        double obj = LayerCost.of(lp, best).objective();
        return new LayerOutcome(best, obj, Math.min(bound, obj), false, fellBack);
    }

    /** The cheaper of two assignments under the full cost (cap penalty included). */
    private static LayerAssignment better(LayerProblem lp, long tCap, LayerAssignment a, LayerAssignment b) {
        return LayerLns.score(lp, b, tCap) < LayerLns.score(lp, a, tCap) ? b : a;
    }

    /** A whole-layer CP-SAT result, or its warm start if CP-SAT found nothing in time. */
    private static LayerOutcome outcome(LayerProblem lp, LayerAssignment warmStart, LayerIlp.Result r) {
        if (r.assignment() == null) {
            double obj = LayerCost.of(lp, warmStart).objective();
            double bound = Double.isFinite(r.bound()) ? Math.max(r.bound(), trivialBound(lp)) : trivialBound(lp);
            return new LayerOutcome(warmStart, obj, Math.min(bound, obj), false, true);
        }
        double obj = LayerCost.of(lp, r.assignment()).objective();
        double bound = Double.isFinite(r.bound()) ? Math.max(r.bound(), trivialBound(lp)) : trivialBound(lp);
        return new LayerOutcome(r.assignment(), obj, Math.min(bound, obj), r.status() == CpSolverStatus.OPTIMAL, false);
    }

    /** Perfect balance, every candidate pair together, nothing moved: no plan costs less. */
    static double trivialBound(LayerProblem lp) {
        long speedSum = 0;
        for (long s : lp.speedMilli) speedSum += s;
        return (Math.floor((double) lp.tCoef * 1000.0 * lp.totalLoad() / speedSum) + lp.baseUnits) / LayerProblem.SCALE;
    }

    /** The greedy plan's straggler time, plus the allowed slack, in the ILP's T units. */
    static long cap(LayerProblem lp, LayerAssignment greedy) {
        long t = lp.straggler(greedy.instanceLoads(lp.instances));
        double slack = lp.weights.balanceSlack();
        return slack < 0 ? Long.MAX_VALUE / 4 : (long) Math.floor(t * (1 + slack));
    }

    /**
     * The previous plan's hosts for this layer with its shares applied to the new loads; hosts that
     * left are dropped and orphaned experts go to the least-loaded instance with a free slot.
     * {@code null} if the previous plan does not fit the current instances' slots.
     */
    static LayerAssignment fromPrevious(PlacementPlan previous, LayerProblem lp, PlanningProblem p) {
        Map<String, Integer> idx = new HashMap<>();
        for (int i = 0; i < p.instances().size(); i++) idx.put(p.instances().get(i).id(), i);
        LayerAssignment a = new LayerAssignment(lp.experts);
        int[] used = new int[lp.instances];
        List<Integer> orphans = new ArrayList<>();
        int copies = 0;
        for (int e = 0; e < lp.experts; e++) {
            ExpertPlacement ep = previous.placement(lp.layer, e);
            List<Replica> kept = new ArrayList<>();
            double shareSum = 0;
            if (ep != null) {
                for (Replica r : ep.replicas()) {
                    if (idx.containsKey(r.instance())) {
                        kept.add(r);
                        shareSum += r.share();
                    }
                }
            }
            if (kept.isEmpty()) {
                orphans.add(e);
                continue;
            }
            long left = lp.load[e];
            for (int r = 0; r < kept.size(); r++) {
                int i = idx.get(kept.get(r).instance());
                long tok = r == kept.size() - 1 ? left
                        : Math.min(left, Math.round(lp.load[e] * (shareSum > 0 ? kept.get(r).share() / shareSum : 1.0 / kept.size())));
                left -= tok;
                a.add(e, i, tok);
                used[i]++;
                copies++;
            }
        }
        long[] loads = a.instanceLoads(lp.instances);
        for (int e : orphans) {
            int best = -1;
            for (int i = 0; i < lp.instances; i++) {
                if (used[i] >= lp.cap[i]) continue;
                if (best < 0 || loads[i] / lp.speed[i] < loads[best] / lp.speed[best]) best = i;
            }
            if (best < 0) return null;
            a.add(e, best, lp.load[e]);
            used[best]++;
            loads[best] += lp.load[e];
            copies++;
        }
        for (int i = 0; i < lp.instances; i++) if (used[i] > lp.cap[i]) return null;
        return copies <= lp.physical ? a : null;
    }

}
