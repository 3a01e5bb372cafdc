package io.moeserve.ops.planner.solve;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A lower bound on one layer's cost: the LP relaxation (GLOP, with a proven dual bound, see
 * {@link SparseLp}) of a relaxation of {@link LayerIlp}'s full model that forgets which instance is
 * which. Variables: {@code z[q]} (pair {@code q} together), {@code r[e]} (copies of expert
 * {@code e}), {@code n[e]} (copies on instances that did not hold {@code e} before). Every full
 * solution maps onto one of these (z = together, r = copies, n = fresh copies) with the same cost,
 * so the minimum of this model, and of its LP, is at most any plan's cost. Its constraints:
 * <ul>
 *   <li>copies per layer {@code sum r <= physical}; {@code r[e] >= ceil(w_e / capLoad)}, as each
 *       copy carries at most an instance's capped load;</li>
 *   <li>star: an expert with {@code r} copies has at most {@code r (cap - 1)} partners together;</li>
 *   <li>capacity: see {@link #addCapacity}; cluster cuts: see {@link ClusterCuts}; the most
 *       violated triangle rows ({@link #separateTriangles});</li>
 *   <li>migration: {@code n[e] >= r[e] - previous hosts}; a pair never together before needs a new
 *       copy of one of its experts ({@code z <= n[a] + n[b]}), and a new copy brings at most
 *       {@code cap - 1} such pairs together ({@link #addNewPairCharge}); the new copies the cap forces
 *       ({@link #copiesForcedOut}, {@link StayFlow}), also per block of instances whose experts'
 *       tokens cannot all stay there ({@link StayFlow#families});</li>
 *   <li>the straggler is at least the perfectly balanced load.</li>
 * </ul>
 * Used where the full model is too large to bound itself.
 */
final class LayerBound {

    private LayerBound() {
    }

    /** The bound (per-token objective units); never below the trivial one. */
    static double solve(LayerProblem lp, long tCap, double seconds) {
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
        long capLoad = tCapLoad(lp, tCap);
        SparseLp m = new SparseLp();
        m.addConstant(constant);
        int maxCopies = Math.max(1, Math.min(lp.instances, 1 + lp.physical - E));
        int[] r = new int[E];
        int[] fresh = new int[E];
        int[] prev = new int[E];
        for (int e = 0; e < E; e++) {
            long forced = Math.max(1, Math.min(maxCopies, (lp.load[e] + capLoad - 1) / Math.max(1, capLoad)));
            r[e] = m.var(forced, maxCopies, 0);
            if (lp.prevHost != null) {
                for (int i = 0; i < lp.instances; i++) if (lp.prevHost[e][i]) prev[e]++;
                fresh[e] = m.var(0, maxCopies, lp.moveCoef);
                m.row(new int[] {fresh[e], r[e]}, new double[] {1, -1}, -prev[e], Double.POSITIVE_INFINITY);
            }
        }
        m.row(r, ones(E), Double.NEGATIVE_INFINITY, lp.physical);
        int[] z = new int[lp.pairA.length];
        for (int q = 0; q < z.length; q++) {
            int a = lp.pairA[q];
            int b = lp.pairB[q];
            z[q] = m.var(0, 1, -lp.pairCoef[q]);
            if (lp.prevHost != null && !wereTogether(lp, a, b)) {
                m.row(new int[] {z[q], fresh[a], fresh[b]}, new double[] {1, -1, -1}, Double.NEGATIVE_INFINITY, 0);
            }
        }
        if (lp.prevHost != null) addNewPairCharge(m, lp, z, fresh, maxCap);
        for (int e = 0; e < E; e++) { // star
            int[] mine = lp.pairsOf[e];
            int[] idx = new int[mine.length + 1];
            double[] coef = new double[mine.length + 1];
            for (int k = 0; k < mine.length; k++) {
                idx[k] = z[mine[k]];
                coef[k] = 1;
            }
            idx[mine.length] = r[e];
            coef[mine.length] = -(maxCap - 1);
            m.row(idx, coef, Double.NEGATIVE_INFINITY, 0);
        }
        addClusterCuts(m, lp, z, r, maxCap, lp.physical - E);
        if (lp.prevHost != null) {
            m.row(fresh, ones(E), copiesForcedOut(lp, prev, tCap), Double.POSITIVE_INFINITY);
            long[] flow = StayFlow.analyse(lp, tCap);
            long deficit = flow[0];
            if (deficit > 0) {
                long copies = Math.max(flow[1], StayFlow.copiesToCover(lp, deficit));
                for (List<StayFlow.Block> blocks : StayFlow.families(lp, tCap)) {
                    copies = Math.max(copies, StayFlow.count(blocks));
                    addBlockRows(m, lp, blocks, fresh);
                }
                m.row(fresh, ones(E), copies, Double.POSITIVE_INFINITY);
                double[] relief = new double[E];
                for (int e = 0; e < E; e++) relief[e] = Math.min(lp.load[e], deficit);
                m.row(fresh, relief, deficit, Double.POSITIVE_INFINITY);
            }
        }
        addCapacity(m, lp, z, r, capLoad);
        long limit = (long) (Math.max(0.05, seconds) * 1000);
        double b = m.lowerBound(limit);
        for (int round = 0; round < TRIANGLE_ROUNDS && Double.isFinite(b) && m.solution != null; round++) {
            if (separateTriangles(m, lp, z, r) == 0) break;
            b = Math.max(b, m.lowerBound(limit)); // each LP is a relaxation: any of their bounds holds
        }
        // the relaxation's objective is an integer: its bound may be rounded up (minus float noise)
        double rounded = Double.isFinite(b) ? Math.ceil(b - 1e-6 * Math.max(1, Math.abs(b))) : trivial;
        return Math.max(rounded, trivial) / LayerProblem.SCALE;
    }

    /**
     * Per block of {@link StayFlow#families}: its experts get at least its count of new copies, and
     * those copies relieve its deficit ({@code sum min(w_e, D) n[e] >= D}).
     */
    private static void addBlockRows(SparseLp m, LayerProblem lp, List<StayFlow.Block> blocks, int[] fresh) {
        for (StayFlow.Block b : blocks) {
            int[] idx = new int[b.experts().length];
            double[] one = new double[idx.length];
            double[] relief = new double[idx.length];
            for (int k = 0; k < idx.length; k++) {
                idx[k] = fresh[b.experts()[k]];
                one[k] = 1;
                relief[k] = Math.min(lp.load[b.experts()[k]], b.deficit());
            }
            m.row(idx, one, b.copies(), Double.POSITIVE_INFINITY);
            m.row(idx, relief, b.deficit(), Double.POSITIVE_INFINITY);
        }
    }

    /** Rounds of triangle separation: one costs ~0.05-0.1 s per DeepSeek layer; later ones cost more and gain less. */
    static final int TRIANGLE_ROUNDS = 1;

    /**
     * Adds the most violated "triangle" rows {@code z[ab] + z[bc] - z[ac] <= r[b]}: if b has one
     * copy, a together with b and c together with b are all on b's instance, so a and c are
     * together; with two or more copies the row allows everything. Returns how many were added.
     */
    static int separateTriangles(SparseLp m, LayerProblem lp, int[] z, int[] r) {
        double[] x = m.solution;
        java.util.Map<Long, Integer> index = new java.util.HashMap<>();
        for (int q = 0; q < z.length; q++) index.put((long) lp.pairA[q] * lp.experts + lp.pairB[q], q);
        List<double[]> found = new ArrayList<>();
        for (int b = 0; b < lp.experts; b++) {
            int[] mine = lp.pairsOf[b];
            for (int u = 0; u < mine.length; u++) {
                if (x[z[mine[u]]] < 1e-6) continue;
                for (int v = u + 1; v < mine.length; v++) {
                    double lhs = x[z[mine[u]]] + x[z[mine[v]]] - x[r[b]];
                    if (lhs <= 1e-4) continue;
                    int a = other(lp, mine[u], b);
                    int c = other(lp, mine[v], b);
                    Integer ac = index.get((long) Math.min(a, c) * lp.experts + Math.max(a, c));
                    if (ac == null || lhs - x[z[ac]] <= 1e-4) continue;
                    found.add(new double[] {lhs - x[z[ac]], mine[u], mine[v], ac, b});
                }
            }
        }
        found.sort((p, q) -> Double.compare(q[0], p[0]));
        int added = Math.min(found.size(), 4 * lp.experts);
        for (int k = 0; k < added; k++) {
            double[] t = found.get(k);
            m.row(new int[] {z[(int) t[1]], z[(int) t[2]], z[(int) t[3]], r[(int) t[4]]}, new double[] {1, 1, -1, -1},
                    Double.NEGATIVE_INFINITY, 0);
        }
        return added;
    }

    private static double[] ones(int n) {
        double[] a = new double[n];
        java.util.Arrays.fill(a, 1);
        return a;
    }

    /**
     * Pairs never together before are together only through new copies: the instance they share
     * holds a new copy of one of them, and a new copy of e sits with at most {@code cap - 1} others,
     * so the pairs charged to it weigh at most {@code G_e}, the heaviest {@code cap - 1} of e's such
     * pairs: {@code sum over those pairs of coef z <= sum_e G_e n[e]}.
     */
    static void addNewPairCharge(SparseLp m, LayerProblem lp, int[] z, int[] fresh, int maxCap) {
        boolean[] never = neverTogether(lp);
        long[] g = newPairCharge(lp, never, maxCap);
        List<Integer> idx = new ArrayList<>();
        List<Double> coef = new ArrayList<>();
        for (int q = 0; q < z.length; q++) {
            if (!never[q]) continue;
            idx.add(z[q]);
            coef.add((double) lp.pairCoef[q]);
        }
        for (int e = 0; e < lp.experts; e++) {
            if (g[e] == 0) continue;
            idx.add(fresh[e]);
            coef.add((double) -g[e]);
        }
        m.row(idx.stream().mapToInt(Integer::intValue).toArray(), coef.stream().mapToDouble(Double::doubleValue).toArray(),
                Double.NEGATIVE_INFINITY, 0);
    }

    /** Per candidate pair: its experts shared no instance in the previous plan. */
    static boolean[] neverTogether(LayerProblem lp) {
        boolean[] never = new boolean[lp.pairA.length];
        for (int q = 0; q < never.length; q++) never[q] = !wereTogether(lp, lp.pairA[q], lp.pairB[q]);
        return never;
    }

    /** {@code G_e}: the heaviest {@code maxCap - 1} coefficients of e's never-together pairs, summed. */
    static long[] newPairCharge(LayerProblem lp, boolean[] never, int maxCap) {
        long[] g = new long[lp.experts];
        for (int e = 0; e < lp.experts; e++) {
            List<Long> mine = new ArrayList<>();
            for (int q : lp.pairsOf[e]) if (never[q]) mine.add(lp.pairCoef[q]);
            mine.sort(Collections.reverseOrder());
            for (int k = 0; k < Math.min(mine.size(), maxCap - 1); k++) g[e] += mine.get(k);
        }
        return g;
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
     * The instances holding expert e's {@code r_e} copies carry all of e's tokens and every
     * single-copy partner together with e, each at most {@code capLoad}: {@code w_e + sum_b w_b
     * z[eb] <= capLoad r_e}. A replicated partner b may put a copy with no tokens there, so it
     * contributes {@code w_b (z - (r_b - 1))}, at most 0 when {@code r_b >= 2}.
     */
    private static void addCapacity(SparseLp m, LayerProblem lp, int[] z, int[] r, long capLoad) {
        for (int e = 0; e < lp.experts; e++) {
            int[] mine = lp.pairsOf[e];
            if (mine.length == 0) continue;
            int[] idx = new int[2 * mine.length + 1];
            double[] coef = new double[idx.length];
            long constant = lp.load[e];
            for (int k = 0; k < mine.length; k++) {
                int b = other(lp, mine[k], e);
                idx[2 * k] = z[mine[k]];
                coef[2 * k] = lp.load[b];
                idx[2 * k + 1] = r[b];
                coef[2 * k + 1] = -lp.load[b];
                constant += lp.load[b]; // the "+ w_b" of -(r_b - 1) w_b
            }
            idx[idx.length - 1] = r[e];
            coef[idx.length - 1] = -capLoad;
            m.row(idx, coef, Double.NEGATIVE_INFINITY, -constant);
        }
    }

    /** The most tokens one instance may carry under the balance cap (fastest instance). */
    private static long tCapLoad(LayerProblem lp, long tCap) {
        long maxSpeed = 0;
        for (long s : lp.speedMilli) maxSpeed = Math.max(maxSpeed, s);
        return tCap >= Long.MAX_VALUE / 8 ? lp.totalLoad() : tCap * maxSpeed / 1000;
    }

    /**
     * {@link ClusterCuts}: the co-activation a set of experts keeps together is at most
     * {@code g(rho)}, rho = its extra copies. g is concave (its increments never grow), so it is the
     * minimum of its chords' lines and each line is a valid linear cut.
     */
    private static void addClusterCuts(SparseLp m, LayerProblem lp, int[] z, int[] r, int maxCap, int maxExtra) {
        if (maxExtra < 0) return;
        for (ClusterCuts.Cut c : ClusterCuts.cuts(lp, maxCap, maxExtra)) {
            long[] g = c.gain();
            long lastSlope = -1;
            int[] pairs = c.pairs();
            int[] experts = c.experts();
            for (int k = 0; k < g.length; k++) {
                long slope = k + 1 < g.length ? g[k + 1] - g[k] : 0;
                if (slope == lastSlope) continue; // same line as the previous chord
                lastSlope = slope;
                // sum coef z <= g[k] + slope * (sum_{e in C} r_e - |C| - k)
                int[] idx = new int[pairs.length + experts.length];
                double[] coef = new double[idx.length];
                for (int j = 0; j < pairs.length; j++) {
                    idx[j] = z[pairs[j]];
                    coef[j] = lp.pairCoef[pairs[j]];
                }
                for (int j = 0; j < experts.length; j++) {
                    idx[pairs.length + j] = r[experts[j]];
                    coef[pairs.length + j] = -slope;
                }
                m.row(idx, coef, Double.NEGATIVE_INFINITY, g[k] - slope * (experts.length + (double) k));
            }
        }
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
