package io.moeserve.ops.planner.solve;

import com.google.ortools.Loader;
import com.google.ortools.sat.CpSolverStatus;
import io.moeserve.core.placement.ExpertPlacement;
import io.moeserve.core.placement.PlacementPlan;
import io.moeserve.core.placement.Replica;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The ILP planner (OR-Tools CP-SAT). Objective and constraints are {@link LayerIlp}'s; this class
 * owns how the problem is cut up and how time is spent.
 *
 * <p><b>Decomposition.</b> (1) Per layer, exactly: with memory split evenly over layers, the
 * objective is a sum of per-layer terms and no constraint spans layers, so the layers are solved
 * independently, {@code threads} at a time, each with an equal share of the remaining time.
 * (2) Within a layer, when the full model is small (Mixtral: 8 experts x 4 instances) CP-SAT
 * solves it outright and proves the gap. Otherwise (DeepSeek-V3: 256 x 32, ~75k pair variables
 * per layer) it runs {@link LayerLns}: CP-SAT re-solves a few instances' worth of the same model at
 * a time, and {@link LayerBound} proves a lower bound on a relaxation; the reported bound is the sum
 * of per-layer bounds, so the gap is a true optimality gap of the whole plan under the cost model.
 *
 * <p><b>Warm start and fallback.</b> Each layer starts from the better of the greedy (EPLB) plan and
 * the previous plan (re-shared for the new loads, repaired if it breaks the balance cap); the greedy
 * plan's straggler times {@code (1 + balanceSlack)} is the cap. A layer whose search ends without
 * a plan at least as good as greedy's falls back to greedy. Stateless: the planner service can call
 * {@link #solve} for live re-plans with the live plan as {@code previous}.
 */
public final class IlpSolver implements PlacementSolver {

    /** Layers whose full model has at most this many pair-instance variables are solved whole. */
    static final int FULL_MODEL_MAX_PAIR_VARS = 6000;
    /** Share of a large layer's time given to the local search before CP-SAT's neighbourhoods. */
    static final double LOCAL_SEARCH_SHARE = 0.5;

    /** Every layer gets at least this long, even past the overall limit (so it can prove a bound). */
    static final long MIN_LAYER_NANOS = 20_000_000;
    private static final boolean DEBUG = Boolean.getBoolean("moe.plan.debug");
    private static volatile boolean nativesLoaded;

    @Override
    public String name() {
        return "ilp";
    }

    /** Loads OR-Tools' native library once per JVM. */
    public static void loadNatives() {
        if (nativesLoaded) return;
        synchronized (IlpSolver.class) {
            if (!nativesLoaded) {
                Loader.loadNativeLibraries();
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
        long deadline = start + (long) (p.timeLimitSeconds() * 1e9);
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
                    long layerDeadline = now + Math.max(MIN_LAYER_NANOS, (long) ((deadline - now) * share));
                    long t0 = System.nanoTime();
                    LayerOutcome o = solveLayer(p, lp, layerDeadline);
                    if (DEBUG) {
                        System.err.printf("ilp layer %d: %.3fs of %.3fs objective %.5f bound %.5f%s%s%n", lp.layer,
                                (System.nanoTime() - t0) / 1e9, (layerDeadline - t0) / 1e9, o.objective(), o.bound(),
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
                + " layers proven optimal" + (fellBack > 0 ? ", " + fellBack + " fell back to greedy" : "") + ")";
        return new Solution(name(), Plans.assemble(p, assignments), objective, bound, Solution.gap(objective, bound),
                (System.nanoTime() - start) / 1e9, status);
    }

    private static LayerOutcome solveLayer(PlanningProblem p, LayerProblem lp, long deadline) {
        LayerAssignment greedy = GreedySolver.layer(lp);
        long tCap = cap(lp, greedy);
        double greedyScore = LayerLns.score(lp, greedy, tCap);
        LayerAssignment startA = greedy;
        LayerAssignment prev = p.previous() == null ? null : fromPrevious(p.previous(), lp, p);
        if (prev != null && LayerLns.score(lp, prev, tCap) < greedyScore) startA = prev;
        double seconds = Math.max(0.01, (deadline - System.nanoTime()) / 1e9);
        long seed = p.seed() * 1_000_003L + lp.layer;
        long[] groups = LayerGroupIlp.groups(lp);
        if (groups != null) {
            LayerAssignment hint = LayerLns.over(lp, startA, tCap) > 0 ? greedy : startA;
            return outcome(lp, greedy, LayerGroupIlp.solve(lp, groups, hint, tCap, seconds, 1, seed));
        }
        if ((long) lp.pairA.length * lp.instances <= FULL_MODEL_MAX_PAIR_VARS) {
            boolean repair = LayerLns.over(lp, startA, tCap) > 0;
            LayerAssignment hint = repair ? greedy : startA; // the full model's cap is hard: hint must meet it
            return outcome(lp, greedy, LayerIlp.full(lp, hint, tCap, seconds, 1, seed));
        }
        double bound = LayerBound.solve(lp, tCap, Math.min(2.0, 0.15 * seconds), seed);
        long lsDeadline = System.nanoTime() + (long) ((deadline - System.nanoTime()) * LOCAL_SEARCH_SHARE);
        LayerAssignment best = LayerLocalSearch.improve(lp, startA, tCap, lsDeadline, seed);
        best = LayerLns.improve(lp, best, tCap, deadline, seed);
        boolean fellBack = LayerLns.score(lp, best, tCap) > greedyScore;
        if (fellBack) best = greedy;
        double obj = LayerCost.of(lp, best).objective();
        return new LayerOutcome(best, obj, Math.min(bound, obj), false, fellBack);
    }

    /** A whole-layer CP-SAT result, or greedy with the trivial bound if CP-SAT found nothing in time. */
    private static LayerOutcome outcome(LayerProblem lp, LayerAssignment greedy, LayerIlp.Result r) {
        if (r.assignment() == null) {
            double obj = LayerCost.of(lp, greedy).objective();
            double bound = Double.isFinite(r.bound()) ? Math.max(r.bound(), trivialBound(lp)) : trivialBound(lp);
            return new LayerOutcome(greedy, obj, Math.min(bound, obj), false, true);
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
