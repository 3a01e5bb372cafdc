package io.moeserve.ops.planner.solve;

import com.google.ortools.sat.BoolVar;
import com.google.ortools.sat.CpModel;
import com.google.ortools.sat.CpSolver;
import com.google.ortools.sat.CpSolverStatus;
import com.google.ortools.sat.IntVar;
import com.google.ortools.sat.LinearExpr;
import com.google.ortools.sat.LinearExprBuilder;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

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
        if (lp.prevHost != null) {
            LinearExprBuilder allFresh = LinearExpr.newBuilder();
            for (IntVar f : fresh) allFresh.add(f);
            m.addGreaterOrEqual(allFresh, copiesForcedOut(lp, prev, tCap));
        }
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
     * New copies the balance cap forces: an instance keeps all tokens of the experts it alone held
     * before unless one of them gets a copy elsewhere (moved or replicated; a copy relieves at most
     * that expert's load), so an instance whose sole-held load now exceeds the cap needs at least
     * as many new copies as it takes of its largest such experts to cover the excess. Sole-held
     * experts belong to one instance each, so these counts add up.
     */
    static long copiesForcedOut(LayerProblem lp, int[] prevCopies, long tCap) {
        long forced = 0;
        if (tCap >= Long.MAX_VALUE / 8) return 0; // no balance cap
        for (int i = 0; i < lp.instances; i++) {
            List<Long> sole = new ArrayList<>();
            long must = 0;
            for (int e = 0; e < lp.experts; e++) {
                if (lp.prevHost[e][i] && prevCopies[e] == 1) {
                    sole.add(lp.load[e]);
                    must += lp.load[e];
                }
            }
            long excess = must - tCap * lp.speedMilli[i] / 1000;
            if (excess <= 0) continue;
            sole.sort(Collections.reverseOrder());
            for (long w : sole) {
                forced++;
                excess -= w;
                if (excess <= 0) break;
            }
        }
        return forced;
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

    private static boolean wereTogether(LayerProblem lp, int a, int b) {
        for (int i = 0; i < lp.instances; i++) {
            if (lp.prevHost[a][i] && lp.prevHost[b][i]) return true;
        }
        return false;
    }
}
