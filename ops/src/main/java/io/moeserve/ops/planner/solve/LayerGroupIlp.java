package io.moeserve.ops.planner.solve;

import com.google.ortools.sat.BoolVar;
import com.google.ortools.sat.CpModel;
import com.google.ortools.sat.CpSolver;
import com.google.ortools.sat.CpSolverStatus;
import com.google.ortools.sat.IntVar;
import com.google.ortools.sat.LinearExpr;
import com.google.ortools.sat.LinearExprBuilder;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The same layer model as {@link LayerIlp} written as set partitioning, for the case it is exact
 * and small: no spare slots (every expert has one copy, taking all its tokens) and few experts
 * (Mixtral 8, tiny-moe 16). A column is a group of experts that shares an instance; choosing
 * columns so that every expert is in exactly one gives each instance's load and co-activation
 * exactly, so the LP relaxation is tight and CP-SAT proves optimality in milliseconds where the
 * assignment model branches on symmetric load partitions. Instances that differ in nothing share
 * one column set ({@code sum u_g <= n}); otherwise columns are per instance ({@code u[g][i]}).
 */
final class LayerGroupIlp {

    /** Largest number of columns (groups x instance classes) this model is built for. */
    static final int MAX_COLUMNS = 40_000;

    private LayerGroupIlp() {
    }

    /** Groups of up to the largest slot count, or {@code null} when the model would be too large. */
    static long[] groups(LayerProblem lp) {
        if (lp.physical > lp.experts || lp.experts > 63) return null;
        int maxCap = 0;
        for (int c : lp.cap) maxCap = Math.max(maxCap, c);
        maxCap = Math.min(maxCap, lp.experts);
        double count = 0;
        for (int s = 1; s <= maxCap; s++) count += binomial(lp.experts, s);
        double columns = count * (interchangeable(lp) ? 1 : lp.instances);
        if (columns > MAX_COLUMNS) return null;
        List<Long> out = new ArrayList<>();
        for (int s = 1; s <= maxCap; s++) combinations(lp.experts, s, 0, 0L, out);
        return out.stream().mapToLong(Long::longValue).toArray();
    }

    static LayerIlp.Result solve(LayerProblem lp, long[] groups, LayerAssignment hint, long tCap, double seconds,
                                 int workers, long seed) {
        int n = lp.instances;
        boolean same = interchangeable(lp);
        int classes = same ? 1 : n;
        int G = groups.length;
        CpModel m = new CpModel();
        BoolVar[][] u = new BoolVar[G][classes];
        IntVar t = m.newIntVar(0, Math.max(0, tCap), "T");
        LinearExprBuilder obj = LinearExpr.newBuilder().addTerm(t, lp.tCoef);
        long constant = lp.baseUnits;
        for (long c : lp.pairCoef) constant += c;
        long[] groupLoad = new long[G];
        long[] groupTogether = new long[G];
        int[] size = new int[G];
        for (int g = 0; g < G; g++) {
            size[g] = Long.bitCount(groups[g]);
            for (int e = 0; e < lp.experts; e++) if ((groups[g] >> e & 1) != 0) groupLoad[g] += lp.load[e];
        }
        for (int q = 0; q < lp.pairA.length; q++) {
            long both = (1L << lp.pairA[q]) | (1L << lp.pairB[q]);
            for (int g = 0; g < G; g++) if ((groups[g] & both) == both) groupTogether[g] += lp.pairCoef[q];
        }
        List<LinearExprBuilder> cover = new ArrayList<>(lp.experts);
        for (int e = 0; e < lp.experts; e++) cover.add(LinearExpr.newBuilder());
        LinearExprBuilder[] perClass = new LinearExprBuilder[classes];
        for (int c = 0; c < classes; c++) perClass[c] = LinearExpr.newBuilder();
        // Under the cap every other instance carries at most tCap * speed, so a group must carry
        // at least the rest: with a tight cap only near-balanced groups survive.
        long capacityAll = 0;
        for (int i = 0; i < n; i++) capacityAll += tCap * lp.speedMilli[i] / 1000;
        long total = lp.totalLoad();
        for (int g = 0; g < G; g++) {
            for (int c = 0; c < classes; c++) {
                if (size[g] > lp.cap[c]) continue;
                long time = (1000 * groupLoad[g] + lp.speedMilli[c] - 1) / lp.speedMilli[c];
                if (time > tCap) continue; // would break the balance cap
                if (groupLoad[g] < total - (capacityAll - tCap * lp.speedMilli[c] / 1000)) continue; // others cannot carry the rest
                u[g][c] = m.newBoolVar("u");
                perClass[c].add(u[g][c]);
                m.addGreaterOrEqual(LinearExpr.newBuilder().add(t).addTerm(u[g][c], -time), 0);
                long cost = -groupTogether[g];
                if (lp.prevHost != null) {
                    for (int e = 0; e < lp.experts; e++) {
                        if ((groups[g] >> e & 1) != 0 && !lp.prevHost[e][c]) cost += lp.moveCoef;
                    }
                }
                if (cost != 0) obj.addTerm(u[g][c], cost);
                for (int e = 0; e < lp.experts; e++) if ((groups[g] >> e & 1) != 0) cover.get(e).add(u[g][c]);
            }
        }
        for (LinearExprBuilder c : cover) m.addEquality(c, 1);
        for (int c = 0; c < classes; c++) m.addLessOrEqual(perClass[c], same ? n : 1);
        obj.add(constant);
        m.minimize(obj);
        addHint(m, lp, groups, hint, u, t, same);
        CpSolver solver = new CpSolver();
        solver.getParameters().setMaxTimeInSeconds(Math.max(0.01, seconds)).setNumWorkers(Math.max(1, workers))
                .setRandomSeed((int) seed).setLinearizationLevel(2).setLogSearchProgress(Boolean.getBoolean("moe.plan.cpsatLog"));
        CpSolverStatus status = solver.solve(m);
        if (status == CpSolverStatus.MODEL_INVALID) throw new IllegalStateException("CP-SAT model invalid: " + m.validate());
        double bound = status == CpSolverStatus.INFEASIBLE ? Double.NaN : solver.bestObjectiveBound() / LayerProblem.SCALE;
        if (status != CpSolverStatus.OPTIMAL && status != CpSolverStatus.FEASIBLE) {
            return new LayerIlp.Result(null, Double.NaN, bound, status);
        }
        LayerAssignment a = new LayerAssignment(lp.experts);
        int nextInstance = 0;
        for (int g = 0; g < G; g++) {
            for (int c = 0; c < classes; c++) {
                if (u[g][c] == null || !solver.booleanValue(u[g][c])) continue;
                int i = same ? nextInstance++ : c;
                for (int e = 0; e < lp.experts; e++) if ((groups[g] >> e & 1) != 0) a.add(e, i, lp.load[e]);
            }
        }
        return new LayerIlp.Result(a, solver.objectiveValue() / LayerProblem.SCALE, bound, status);
    }

    private static void addHint(CpModel m, LayerProblem lp, long[] groups, LayerAssignment hint, BoolVar[][] u,
                                IntVar t, boolean same) {
        if (hint == null) return;
        Map<Long, Integer> index = new HashMap<>();
        for (int g = 0; g < groups.length; g++) index.put(groups[g], g);
        long[] mask = new long[lp.instances];
        for (int e = 0; e < lp.experts; e++) {
            for (int i : hint.hosts[e]) mask[i] |= 1L << e;
        }
        boolean[][] on = new boolean[groups.length][u.length == 0 ? 0 : u[0].length];
        for (int i = 0; i < lp.instances; i++) {
            Integer g = mask[i] == 0 ? null : index.get(mask[i]);
            if (g == null) continue;
            on[g][same ? 0 : i] = true;
        }
        for (int g = 0; g < groups.length; g++) {
            for (int c = 0; c < u[g].length; c++) if (u[g][c] != null) m.addHint(u[g][c], on[g][c]);
        }
        m.addHint(t, Math.min(t.getDomain().max(), lp.straggler(hint.instanceLoads(lp.instances))));
    }

    private static boolean interchangeable(LayerProblem lp) {
        if (lp.prevHost != null) return false;
        for (int i = 1; i < lp.instances; i++) {
            if (lp.cap[i] != lp.cap[0] || lp.speedMilli[i] != lp.speedMilli[0]) return false;
        }
        return true;
    }

    private static void combinations(int n, int k, int from, long mask, List<Long> out) {
        if (k == 0) {
            out.add(mask);
            return;
        }
        for (int e = from; e <= n - k; e++) combinations(n, k - 1, e + 1, mask | 1L << e, out);
    }

    private static double binomial(int n, int k) {
        double r = 1;
        for (int i = 1; i <= k; i++) r = r * (n - k + i) / i;
        return r;
    }
}
