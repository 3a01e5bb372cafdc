package io.moeserve.ops.planner.solve;

import com.google.ortools.sat.BoolVar;
import com.google.ortools.sat.CpModel;
import com.google.ortools.sat.CpSolver;
import com.google.ortools.sat.CpSolverStatus;
import com.google.ortools.sat.IntVar;
import com.google.ortools.sat.LinearExpr;
import com.google.ortools.sat.LinearExprBuilder;

/**
 * The CP-SAT model of one layer (see {@link IlpSolver} for why per layer). Variables:
 * {@code x[e][i]} (instance {@code i} holds a copy of expert {@code e}), {@code s[e][i]} (tokens of
 * {@code e} that copy takes), {@code y[q][i]} (both experts of candidate pair {@code q} on
 * {@code i}), {@code T} (straggler time). Constraints: every expert placed, slots per instance,
 * copies per layer, shares only on hosts and summing to the expert's load, {@code T} above every
 * instance's load / speed and below the balance cap, {@code y} only where both experts are, a pair
 * together on at most one instance, and the "star" cut {@code sum_q y[q][i] <= (cap_i - 1) x[e][i]}
 * (a copy on {@code i} has at most {@code cap_i - 1} neighbours), which is what makes the LP bound
 * on messages meaningful. Objective: {@link LayerCost}'s, scaled to integers.
 */
final class LayerIlp {

    /** Integer units per unit of per-token objective. */
    static final double SCALE = 1e7;

    record Result(LayerAssignment assignment, double objective, double bound, CpSolverStatus status) {
    }

    private LayerIlp() {
    }

    static Result solve(LayerProblem lp, LayerAssignment hint, long tCap, double seconds, int workers, long seed) {
        int n = lp.instances;
        int E = lp.experts;
        CpModel m = new CpModel();
        BoolVar[][] x = new BoolVar[E][n];
        IntVar[][] s = new IntVar[E][n];
        long total = lp.totalLoad();
        IntVar t = m.newIntVar(0, Math.max(0, tCap), "T");
        // Without spare slots every expert has exactly one copy, which then takes all its tokens:
        // no share variables, and the load constraint sees w_e * x[e][i] directly (a much tighter LP).
        boolean single = lp.physical <= E;
        for (int e = 0; e < E; e++) {
            LinearExprBuilder hosts = LinearExpr.newBuilder();
            LinearExprBuilder shares = LinearExpr.newBuilder();
            for (int i = 0; i < n; i++) {
                x[e][i] = m.newBoolVar("x");
                hosts.add(x[e][i]);
                if (lp.load[e] > 0 && !single) {
                    s[e][i] = m.newIntVar(0, lp.load[e], "s");
                    m.addLessOrEqual(LinearExpr.newBuilder().add(s[e][i]).addTerm(x[e][i], -lp.load[e]), 0);
                    shares.add(s[e][i]);
                }
            }
            if (single) m.addEquality(hosts, 1);
            else m.addGreaterOrEqual(hosts, 1);
            if (lp.load[e] > 0 && !single) m.addEquality(shares, lp.load[e]);
        }
        LinearExprBuilder copies = LinearExpr.newBuilder();
        for (int i = 0; i < n; i++) {
            LinearExprBuilder slots = LinearExpr.newBuilder();
            LinearExprBuilder work = LinearExpr.newBuilder();
            for (int e = 0; e < E; e++) {
                slots.add(x[e][i]);
                copies.add(x[e][i]);
                if (s[e][i] != null) work.addTerm(s[e][i], 1000);
                else if (single) work.addTerm(x[e][i], 1000 * lp.load[e]);
            }
            m.addLessOrEqual(slots, lp.cap[i]);
            long speed = Math.max(1, Math.round(lp.speed[i] * 1000));
            m.addLessOrEqual(work.addTerm(t, -speed), 0);
        }
        m.addLessOrEqual(copies, lp.physical);
        // pairs
        int pairs = lp.pairA.length;
        BoolVar[][] y = new BoolVar[pairs][n];
        for (int q = 0; q < pairs; q++) {
            LinearExprBuilder once = LinearExpr.newBuilder();
            for (int i = 0; i < n; i++) {
                y[q][i] = m.newBoolVar("y");
                m.addImplication(y[q][i], x[lp.pairA[q]][i]);
                m.addImplication(y[q][i], x[lp.pairB[q]][i]);
                once.add(y[q][i]);
            }
            m.addLessOrEqual(once, 1);
        }
        for (int e = 0; e < E; e++) {
            if (lp.pairsOf[e].length == 0) continue;
            for (int i = 0; i < n; i++) {
                if (lp.pairsOf[e].length <= lp.cap[i] - 1) continue; // cut cannot bind
                LinearExprBuilder star = LinearExpr.newBuilder();
                for (int q : lp.pairsOf[e]) star.add(y[q][i]);
                star.addTerm(x[e][i], -(lp.cap[i] - 1));
                m.addLessOrEqual(star, 0);
            }
        }
        // objective
        CostWeights w = lp.weights;
        double perToken = SCALE / lp.tokens;
        LinearExprBuilder obj = LinearExpr.newBuilder();
        obj.addTerm(t, Math.round(w.straggler() * perToken / 1.0));
        double constant = w.messages() * perToken * (lp.tokens + lp.otherPairs * 2.0 / lp.topK);
        for (int q = 0; q < pairs; q++) {
            long c = Math.round(w.messages() * perToken * lp.pairMessages(q));
            constant += w.messages() * perToken * lp.pairMessages(q);
            if (c == 0) continue;
            for (int i = 0; i < n; i++) obj.addTerm(y[q][i], -c);
        }
        if (lp.prevHost != null) {
            long move = Math.round(w.migrationPerGiB() * SCALE * lp.expertBytes / (1L << 30));
            if (move > 0) {
                for (int e = 0; e < E; e++) {
                    for (int i = 0; i < n; i++) if (!lp.prevHost[e][i]) obj.addTerm(x[e][i], move);
                }
            }
        }
        obj.add(Math.round(constant));
        m.minimize(obj);
        // warm start
        if (hint != null) {
            long[] loads = hint.instanceLoads(n);
            long tHint = 0;
            for (int i = 0; i < n; i++) tHint = Math.max(tHint, (long) Math.ceil(loads[i] * 1000.0 / Math.round(lp.speed[i] * 1000)));
            m.addHint(t, Math.min(tHint, tCap));
            for (int e = 0; e < E; e++) {
                long[] tok = new long[n];
                boolean[] on = new boolean[n];
                for (int r = 0; r < hint.hosts[e].length; r++) {
                    on[hint.hosts[e][r]] = true;
                    tok[hint.hosts[e][r]] = hint.tokens[e][r];
                }
                for (int i = 0; i < n; i++) {
                    m.addHint(x[e][i], on[i]);
                    if (s[e][i] != null) m.addHint(s[e][i], tok[i]);
                }
            }
            for (int q = 0; q < pairs; q++) {
                boolean done = false;
                for (int i = 0; i < n; i++) {
                    boolean both = !done && hint.hosts(lp.pairA[q], i) && hint.hosts(lp.pairB[q], i);
                    m.addHint(y[q][i], both);
                    done |= both;
                }
            }
        }
        CpSolver solver = new CpSolver();
        solver.getParameters().setMaxTimeInSeconds(Math.max(0.05, seconds)).setNumWorkers(Math.max(1, workers))
                .setRandomSeed((int) seed).setLogSearchProgress(Boolean.getBoolean("moe.plan.cpsatLog"));
        CpSolverStatus status = solver.solve(m);
        if (status == CpSolverStatus.MODEL_INVALID) throw new IllegalStateException("CP-SAT model invalid: " + m.validate());
        if (status != CpSolverStatus.OPTIMAL && status != CpSolverStatus.FEASIBLE) {
            return new Result(null, Double.NaN, boundOrNaN(solver, status), status);
        }
        LayerAssignment a = new LayerAssignment(E);
        for (int e = 0; e < E; e++) {
            for (int i = 0; i < n; i++) {
                if (solver.booleanValue(x[e][i])) a.add(e, i, s[e][i] != null ? solver.value(s[e][i]) : single ? lp.load[e] : 0);
            }
        }
        return new Result(a, solver.objectiveValue() / SCALE, solver.bestObjectiveBound() / SCALE, status);
    }

    private static double boundOrNaN(CpSolver solver, CpSolverStatus status) {
        if (status == CpSolverStatus.INFEASIBLE || status == CpSolverStatus.MODEL_INVALID) return Double.NaN;
        double b = solver.bestObjectiveBound();
        return Double.isFinite(b) ? b / SCALE : Double.NaN;
    }
}
