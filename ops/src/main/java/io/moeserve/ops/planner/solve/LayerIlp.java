package io.moeserve.ops.planner.solve;

import com.google.ortools.sat.BoolVar;
import com.google.ortools.sat.CpModel;
import com.google.ortools.sat.CpSolver;
import com.google.ortools.sat.CpSolverStatus;
import com.google.ortools.sat.IntVar;
import com.google.ortools.sat.LinearExpr;
import com.google.ortools.sat.LinearExprBuilder;

import java.util.ArrayList;
import java.util.List;

/**
 * The CP-SAT model of one layer, over a set {@code S} of free instances and a set {@code X} of free
 * experts (every expert with a copy on {@code S}, plus any others the caller adds); everything else
 * stays as in the current assignment. With {@code S} = all instances and {@code X} = all experts it
 * is the full layer model; smaller sets make it a large-neighbourhood-search step.
 *
 * <p>Variables: {@code x[e][i]} (instance {@code i} in S holds a copy of {@code e}), {@code s[e][i]}
 * (tokens that copy takes; free experts' copies outside S keep their host but their share is free
 * too), {@code y[q][i]} (both experts of candidate pair {@code q} on {@code i}), {@code T}
 * (straggler). Constraints: every expert keeps a copy; slots per instance; copies per layer; tokens
 * only on hosts and summing to the expert's load; {@code T} above every instance's load / speed and
 * below the balance cap (hard, or soft with a large penalty while repairing a plan that breaks it);
 * {@code y} only where both experts are, a pair together on at most one instance; and the "star" cut
 * {@code sum_q y[q][i] <= (cap_i - 1) x[e][i]}, which makes the LP bound on messages meaningful.
 * The objective is {@link LayerCost}'s (constants included), scaled to integers, so objective and
 * bound are comparable with every other method's cost.
 */
final class LayerIlp {

    /** Penalty per unit of straggler above the cap while repairing, relative to the straggler weight. */
    static final double OVER_CAP_PENALTY = 1000;

    record Result(LayerAssignment assignment, double objective, double bound, CpSolverStatus status) {
    }

    private LayerIlp() {
    }

    /** The full model of the layer, warm-started from {@code hint}. */
    static Result full(LayerProblem lp, LayerAssignment hint, long tCap, double seconds, int workers, long seed) {
        boolean[] all = new boolean[lp.instances];
        java.util.Arrays.fill(all, true);
        boolean[] every = new boolean[lp.experts];
        java.util.Arrays.fill(every, true);
        if (interchangeable(lp, all, every)) hint = canonical(hint, lp.instances);
        return solve(lp, hint, all, every, tCap, false, seconds, workers, seed);
    }

    /** {@code a} with instances renumbered by their lowest expert, to satisfy the symmetry breaking. */
    static LayerAssignment canonical(LayerAssignment a, int n) {
        int[] label = new int[n];
        java.util.Arrays.fill(label, -1);
        int next = 0;
        for (int[] hosts : a.hosts) {
            for (int i : hosts) if (label[i] < 0) label[i] = next++;
        }
        for (int i = 0; i < n; i++) if (label[i] < 0) label[i] = next++;
        LayerAssignment c = new LayerAssignment(a.hosts.length);
        for (int e = 0; e < a.hosts.length; e++) {
            for (int r = 0; r < a.hosts[e].length; r++) c.add(e, label[a.hosts[e][r]], a.tokens[e][r]);
        }
        return c;
    }

    static Result solve(LayerProblem lp, LayerAssignment cur, boolean[] inS, boolean[] inX, long tCap, boolean softCap,
                        double seconds, int workers, long seed) {
        int n = lp.instances;
        int E = lp.experts;
        long constant = 0;
        CpModel m = new CpModel();
        // fixed part: loads and copies of experts that are not free
        long[] fixedLoad = new long[n];
        int fixedCopies = 0;
        for (int e = 0; e < E; e++) {
            for (int r = 0; r < cur.hosts[e].length; r++) {
                int i = cur.hosts[e][r];
                if (!inX[e]) {
                    fixedLoad[i] += cur.tokens[e][r];
                    fixedCopies++;
                    if (lp.prevHost != null && !lp.prevHost[e][i]) constant += lp.moveCoef;
                } else if (!inS[i]) {
                    fixedCopies++;
                    if (lp.prevHost != null && !lp.prevHost[e][i]) constant += lp.moveCoef;
                }
            }
        }
        long[] speed = lp.speedMilli;
        boolean single = lp.physical <= E; // no spare slots: one copy per expert, all its tokens
        BoolVar[][] x = new BoolVar[E][n];
        IntVar[][] s = new IntVar[E][n];
        List<LinearExprBuilder> work = new ArrayList<>(n);
        boolean[] varying = new boolean[n];
        for (int i = 0; i < n; i++) work.add(LinearExpr.newBuilder());
        LinearExprBuilder copies = LinearExpr.newBuilder();
        long move = lp.moveCoef;
        LinearExprBuilder obj = LinearExpr.newBuilder();
        for (int e = 0; e < E; e++) {
            if (!inX[e]) continue;
            LinearExprBuilder hosts = LinearExpr.newBuilder();
            LinearExprBuilder shares = LinearExpr.newBuilder();
            int outside = 0;
            for (int i = 0; i < n; i++) {
                boolean hostedOutside = !inS[i] && cur.hosts(e, i);
                if (!inS[i] && !hostedOutside) continue;
                if (inS[i]) {
                    x[e][i] = m.newBoolVar("x");
                    hosts.add(x[e][i]);
                    copies.add(x[e][i]);
                    if (move > 0 && lp.prevHost != null && !lp.prevHost[e][i]) obj.addTerm(x[e][i], move);
                } else {
                    outside++;
                }
                if (lp.load[e] == 0) continue;
                varying[i] = true;
                if (single) { // exactly one copy: its load is load * x (or constant outside)
                    if (inS[i]) work.get(i).addTerm(x[e][i], 1000 * lp.load[e]);
                    else work.get(i).add(1000 * lp.load[e]);
                    continue;
                }
                s[e][i] = m.newIntVar(0, lp.load[e], "s");
                if (inS[i]) m.addLessOrEqual(LinearExpr.newBuilder().add(s[e][i]).addTerm(x[e][i], -lp.load[e]), 0);
                shares.add(s[e][i]);
                work.get(i).addTerm(s[e][i], 1000);
            }
            if (single) m.addEquality(hosts, 1 - outside);
            else if (outside == 0) m.addGreaterOrEqual(hosts, 1);
            if (lp.load[e] > 0 && !single) m.addEquality(shares, lp.load[e]);
        }
        m.addLessOrEqual(copies, Math.max(0, lp.physical - fixedCopies));
        if (interchangeable(lp, inS, inX)) {
            // Instances that differ in nothing are relabelled by their lowest expert: expert e can
            // only be on the first e + 1 of them. Removes the n! symmetric copies of each solution.
            for (int e = 0; e < E; e++) {
                for (int i = e + 1; i < n; i++) m.addEquality(x[e][i], 0);
            }
        }
        long tLow = 0;
        long tMax = 0;
        for (int i = 0; i < n; i++) tMax = Math.max(tMax, ceilDiv(1000 * (fixedLoad[i] + lp.totalLoad()), speed[i]));
        for (int i = 0; i < n; i++) {
            if (!varying[i]) tLow = Math.max(tLow, ceilDiv(1000 * fixedLoad[i], speed[i]));
        }
        IntVar t = m.newIntVar(tLow, softCap ? Math.max(tLow, tMax) : Math.max(tLow, Math.min(tCap, tMax)), "T");
        for (int i = 0; i < n; i++) {
            if (inS[i]) {
                LinearExprBuilder slots = LinearExpr.newBuilder();
                for (int e = 0; e < E; e++) if (x[e][i] != null) slots.add(x[e][i]);
                m.addLessOrEqual(slots, lp.cap[i]);
            }
            if (varying[i]) {
                m.addLessOrEqual(work.get(i).add(1000 * fixedLoad[i]).addTerm(t, -speed[i]), 0);
            }
        }
        obj.addTerm(t, lp.tCoef);
        IntVar over = null;
        if (softCap) {
            over = m.newIntVar(0, Math.max(0, tMax - tCap), "over");
            m.addGreaterOrEqual(LinearExpr.newBuilder().add(over).addTerm(t, -1), -tCap);
            obj.addTerm(over, Math.round(Math.max(1, lp.tCoef) * OVER_CAP_PENALTY));
        }
        // messages: base + split pairs; pairs that can become together get y variables
        constant += lp.baseUnits;
        List<int[]> varPairs = new ArrayList<>();
        List<BoolVar[]> yVars = new ArrayList<>();
        List<List<BoolVar>> starOf = new ArrayList<>(E * n);
        for (int q = 0; q < lp.pairA.length; q++) {
            int a = lp.pairA[q];
            int b = lp.pairB[q];
            if (fixedTogether(cur, inS, a, b)) continue; // together whatever S does: costs nothing
            long coef = lp.pairCoef[q];
            constant += coef;
            if (!inX[a] || !inX[b]) continue; // cannot become together: split for sure
            BoolVar[] yq = new BoolVar[n];
            LinearExprBuilder once = LinearExpr.newBuilder();
            for (int i = 0; i < n; i++) {
                if (!inS[i]) continue;
                yq[i] = m.newBoolVar("y");
                m.addImplication(yq[i], x[a][i]);
                m.addImplication(yq[i], x[b][i]);
                once.add(yq[i]);
                if (coef > 0) obj.addTerm(yq[i], -coef);
            }
            m.addLessOrEqual(once, 1);
            varPairs.add(new int[] {q, a, b});
            yVars.add(yq);
        }
        addStarCuts(m, lp, inS, x, varPairs, yVars);
        obj.add(constant);
        m.minimize(obj);
        addHints(m, lp, cur, inS, inX, x, s, t, over, tCap, speed, varPairs, yVars);
        CpSolver solver = new CpSolver();
        solver.getParameters().setMaxTimeInSeconds(Math.max(0.01, seconds)).setNumWorkers(Math.max(1, workers))
                .setRandomSeed((int) seed).setLogSearchProgress(Boolean.getBoolean("moe.plan.cpsatLog"));
        CpSolverStatus status = solver.solve(m);
        if (status == CpSolverStatus.MODEL_INVALID) throw new IllegalStateException("CP-SAT model invalid: " + m.validate());
        double bound = status == CpSolverStatus.INFEASIBLE ? Double.NaN : solver.bestObjectiveBound() / LayerProblem.SCALE;
        if (status != CpSolverStatus.OPTIMAL && status != CpSolverStatus.FEASIBLE) {
            return new Result(null, Double.NaN, bound, status);
        }
        LayerAssignment a = cur.copy();
        for (int e = 0; e < E; e++) {
            if (!inX[e]) continue;
            int[] oldHosts = cur.hosts[e];
            a.hosts[e] = new int[0];
            a.tokens[e] = new long[0];
            for (int i = 0; i < n; i++) {
                boolean on = inS[i] ? solver.booleanValue(x[e][i]) : contains(oldHosts, i);
                if (!on) continue;
                long tok = s[e][i] != null ? solver.value(s[e][i]) : single && lp.load[e] > 0 ? lp.load[e] : 0;
                a.add(e, i, tok);
            }
        }
        return new Result(a, solver.objectiveValue() / LayerProblem.SCALE, bound, status);
    }

    private static void addStarCuts(CpModel m, LayerProblem lp, boolean[] inS, BoolVar[][] x, List<int[]> varPairs,
                                    List<BoolVar[]> yVars) {
        int E = lp.experts;
        List<List<Integer>> byExpert = new ArrayList<>(E);
        for (int e = 0; e < E; e++) byExpert.add(new ArrayList<>());
        for (int v = 0; v < varPairs.size(); v++) {
            byExpert.get(varPairs.get(v)[1]).add(v);
            byExpert.get(varPairs.get(v)[2]).add(v);
        }
        for (int e = 0; e < E; e++) {
            List<Integer> mine = byExpert.get(e);
            for (int i = 0; i < lp.instances; i++) {
                if (!inS[i] || x[e][i] == null || mine.size() <= lp.cap[i] - 1) continue; // cannot bind
                LinearExprBuilder star = LinearExpr.newBuilder();
                for (int v : mine) star.add(yVars.get(v)[i]);
                star.addTerm(x[e][i], -(lp.cap[i] - 1));
                m.addLessOrEqual(star, 0);
            }
        }
    }

    private static void addHints(CpModel m, LayerProblem lp, LayerAssignment cur, boolean[] inS, boolean[] inX,
                                 BoolVar[][] x, IntVar[][] s, IntVar t, IntVar over, long tCap, long[] speed,
                                 List<int[]> varPairs, List<BoolVar[]> yVars) {
        int n = lp.instances;
        long[] loads = cur.instanceLoads(n);
        long tHint = t.getDomain().min();
        for (int i = 0; i < n; i++) tHint = Math.max(tHint, ceilDiv(1000 * loads[i], speed[i]));
        tHint = Math.min(tHint, t.getDomain().max());
        m.addHint(t, tHint);
        if (over != null) m.addHint(over, Math.max(0, tHint - tCap));
        for (int e = 0; e < lp.experts; e++) {
            if (!inX[e]) continue;
            for (int i = 0; i < n; i++) {
                int r = indexOf(cur.hosts[e], i);
                if (x[e][i] != null) m.addHint(x[e][i], r >= 0);
                if (s[e][i] != null) m.addHint(s[e][i], r >= 0 ? cur.tokens[e][r] : 0);
            }
        }
        for (int v = 0; v < varPairs.size(); v++) {
            int a = varPairs.get(v)[1];
            int b = varPairs.get(v)[2];
            boolean done = false;
            for (int i = 0; i < n; i++) {
                BoolVar y = yVars.get(v)[i];
                if (y == null) continue;
                boolean both = !done && cur.hosts(a, i) && cur.hosts(b, i);
                m.addHint(y, both);
                done |= both;
            }
        }
    }

    /** The full model of a layer without a previous plan over instances of equal slots and speed. */
    private static boolean interchangeable(LayerProblem lp, boolean[] inS, boolean[] inX) {
        if (lp.prevHost != null) return false;
        for (boolean b : inS) if (!b) return false;
        for (boolean b : inX) if (!b) return false;
        for (int i = 1; i < lp.instances; i++) {
            if (lp.cap[i] != lp.cap[0] || lp.speed[i] != lp.speed[0]) return false;
        }
        return true;
    }

    /** True when {@code a} and {@code b} share an instance outside S: nothing S does can split them. */
    private static boolean fixedTogether(LayerAssignment cur, boolean[] inS, int a, int b) {
        for (int i : cur.hosts[a]) {
            if (!inS[i] && cur.hosts(b, i)) return true;
        }
        return false;
    }

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }

    private static int indexOf(int[] a, int v) {
        for (int i = 0; i < a.length; i++) if (a[i] == v) return i;
        return -1;
    }

    private static boolean contains(int[] a, int v) {
        return indexOf(a, v) >= 0;
    }
}
