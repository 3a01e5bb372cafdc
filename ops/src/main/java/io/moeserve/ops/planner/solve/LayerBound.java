package io.moeserve.ops.planner.solve;

import com.google.ortools.sat.BoolVar;
import com.google.ortools.sat.CpModel;
import com.google.ortools.sat.CpSolver;
import com.google.ortools.sat.CpSolverStatus;
import com.google.ortools.sat.IntVar;
import com.google.ortools.sat.LinearExpr;
import com.google.ortools.sat.LinearExprBuilder;

/**
 * A lower bound on one layer's cost, proven by CP-SAT on a relaxation of {@link LayerIlp}'s full
 * model that forgets which instance is which. Variables: {@code z[q]} (pair {@code q} together),
 * {@code r[e]} (copies of expert {@code e}), {@code n[e]} (copies on instances that did not hold
 * {@code e} before). Every full solution maps onto one of these with the same or higher cost:
 * copies per layer {@code sum r <= physical}; an expert with {@code r} copies has at most
 * {@code r (cap - 1)} partners together; {@code n[e] >= r[e] - previous hosts}; a pair never
 * together before needs a new copy of one of its experts ({@code z <= n[a] + n[b]}); the straggler
 * is at least the perfectly balanced load. Used where the full model is too large to bound itself.
 */
final class LayerBound {

    private LayerBound() {
    }

    /** The bound (per-token objective units), or the trivial one if CP-SAT finds nothing in time. */
    static double solve(LayerProblem lp, long tCap, double seconds, long seed) {
        int E = lp.experts;
        long speedSum = 0;
        int maxCap = 1;
        for (int i = 0; i < lp.instances; i++) {
            maxCap = Math.max(maxCap, lp.cap[i]);
            speedSum += lp.speedMilli[i];
        }
        // straggler >= perfectly balanced load (T in speed-1 tokens, as in LayerIlp); rounded down
        long tLow = (long) Math.floor((double) lp.tCoef * 1000.0 * lp.totalLoad() / speedSum);
        long trivial = tLow + lp.baseUnits;
        long constant = trivial;
        for (long c : lp.pairCoef) constant += c;
        CpModel m = new CpModel();
        int maxCopies = Math.max(1, Math.min(lp.instances, 1 + lp.physical - E));
        IntVar[] r = new IntVar[E];
        IntVar[] fresh = new IntVar[E];
        int[] prev = new int[E];
        LinearExprBuilder copies = LinearExpr.newBuilder();
        LinearExprBuilder obj = LinearExpr.newBuilder();
        long move = lp.moveCoef;
        for (int e = 0; e < E; e++) {
            r[e] = m.newIntVar(1, maxCopies, "r");
            copies.add(r[e]);
            if (lp.prevHost != null) {
                for (int i = 0; i < lp.instances; i++) if (lp.prevHost[e][i]) prev[e]++;
                fresh[e] = m.newIntVar(0, maxCopies, "n");
                m.addGreaterOrEqual(LinearExpr.newBuilder().add(fresh[e]).addTerm(r[e], -1), -prev[e]);
                obj.addTerm(fresh[e], move);
            }
        }
        m.addLessOrEqual(copies, lp.physical);
        BoolVar[] z = new BoolVar[lp.pairA.length];
        LinearExprBuilder[] star = new LinearExprBuilder[E];
        for (int e = 0; e < E; e++) star[e] = LinearExpr.newBuilder().addTerm(r[e], -(maxCap - 1));
        for (int q = 0; q < z.length; q++) {
            int a = lp.pairA[q];
            int b = lp.pairB[q];
            z[q] = m.newBoolVar("z");
            obj.addTerm(z[q], -lp.pairCoef[q]);
            star[a].add(z[q]);
            star[b].add(z[q]);
            if (lp.prevHost != null && !wereTogether(lp, a, b)) {
                m.addLessOrEqual(LinearExpr.newBuilder().add(z[q]).addTerm(fresh[a], -1).addTerm(fresh[b], -1), 0);
            }
        }
        for (int e = 0; e < E; e++) m.addLessOrEqual(star[e], 0);
        addTriangles(m, lp, z, r);
        addCapacity(m, lp, z, r, tCapLoad(lp, tCap));
        obj.add(constant);
        m.minimize(obj);
        CpSolver solver = new CpSolver();
        solver.getParameters().setMaxTimeInSeconds(Math.max(0.01, seconds)).setNumWorkers(1).setRandomSeed((int) seed);
        CpSolverStatus status = solver.solve(m);
        if (status != CpSolverStatus.OPTIMAL && status != CpSolverStatus.FEASIBLE && status != CpSolverStatus.UNKNOWN) {
            return trivial / LayerProblem.SCALE;
        }
        double b = solver.bestObjectiveBound();
        return Double.isFinite(b) ? Math.max(b, trivial) / LayerProblem.SCALE : trivial / LayerProblem.SCALE;
    }

    /**
     * Togetherness is transitive through an expert with one copy: if a is with b and b with c, b's
     * only instance holds all three. With r copies of b the slack is r - 1:
     * {@code z[ab] + z[bc] - z[ac] <= r[b]}, for triangles whose three pairs are all candidates.
     */
    private static void addTriangles(CpModel m, LayerProblem lp, BoolVar[] z, IntVar[] r) {
        java.util.Map<Long, Integer> pairIndex = new java.util.HashMap<>();
        for (int q = 0; q < lp.pairA.length; q++) pairIndex.put(key(lp, lp.pairA[q], lp.pairB[q]), q);
        for (int b = 0; b < lp.experts; b++) {
            int[] mine = lp.pairsOf[b];
            for (int u = 0; u < mine.length; u++) {
                int a = other(lp, mine[u], b);
                for (int v = u + 1; v < mine.length; v++) {
                    int c = other(lp, mine[v], b);
                    Integer ac = pairIndex.get(key(lp, a, c));
                    if (ac == null) continue; // a and c may share b's instance unseen: no valid cut
                    m.addLessOrEqual(LinearExpr.newBuilder().add(z[mine[u]]).add(z[mine[v]]).addTerm(r[b], -1)
                            .addTerm(z[ac], -1), 0);
                }
            }
        }
    }

    /**
     * The instance of a single-copy expert e carries e and every single-copy partner together with
     * it, so {@code w_e + sum_b w_b z[eb] <= cap}; replicated experts relax it (a replicated
     * partner b contributes {@code w_b (z - (r_b - 1)) <= 0}, a replicated e lifts the right side).
     */
    private static void addCapacity(CpModel m, LayerProblem lp, BoolVar[] z, IntVar[] r, long capLoad) {
        for (int e = 0; e < lp.experts; e++) {
            int[] mine = lp.pairsOf[e];
            if (mine.length == 0) continue;
            LinearExprBuilder c = LinearExpr.newBuilder();
            long bigM = lp.load[e];
            for (int q : mine) {
                int b = other(lp, q, e);
                c.addTerm(z[q], lp.load[b]).addTerm(r[b], -lp.load[b]);
                bigM += lp.load[b];
            }
            long constant = lp.load[e];
            for (int q : mine) constant += lp.load[other(lp, q, e)]; // the "+ w_b" of -(r_b - 1) w_b
            c.addTerm(r[e], -bigM);
            m.addLessOrEqual(c, capLoad - constant - bigM);
        }
    }

    /** The most tokens one instance may carry under the balance cap (fastest instance). */
    private static long tCapLoad(LayerProblem lp, long tCap) {
        long maxSpeed = 0;
        for (long s : lp.speedMilli) maxSpeed = Math.max(maxSpeed, s);
        return tCap >= Long.MAX_VALUE / 8 ? lp.totalLoad() : tCap * maxSpeed / 1000;
    }

    private static int other(LayerProblem lp, int q, int e) {
        return lp.pairA[q] == e ? lp.pairB[q] : lp.pairA[q];
    }

    private static long key(LayerProblem lp, int a, int b) {
        return (long) Math.min(a, b) * lp.experts + Math.max(a, b);
    }

    private static boolean wereTogether(LayerProblem lp, int a, int b) {
        for (int i = 0; i < lp.instances; i++) {
            if (lp.prevHost[a][i] && lp.prevHost[b][i]) return true;
        }
        return false;
    }
}
