package io.moeserve.ops.planner.solve;

import com.google.ortools.sat.CpSolverStatus;

import java.util.SplittableRandom;

/**
 * Large-neighbourhood search on one layer: repeatedly frees a few instances ({@code S}) and the
 * experts on them, re-solves that piece exactly with {@link LayerIlp}, and keeps the result when
 * the whole layer's cost drops. Neighbourhoods grow while CP-SAT proves them optimal quickly and
 * shrink when it cannot. An instance pair's "split affinity" (co-activation of experts they hold
 * apart) picks which instances to free together; while the balance cap is broken (a previous plan
 * under new loads) the busiest instance is always freed and the cap is a penalty, not a constraint.
 */
final class LayerLns {

    /** Largest experts by load per copy that every neighbourhood may also re-replicate. */
    static final int HOT_EXPERTS = 4;

    private LayerLns() {
    }

    static LayerAssignment improve(LayerProblem lp, LayerAssignment start, long tCap, long deadlineNanos, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int n = lp.instances;
        LayerAssignment cur = start;
        double curScore = score(lp, cur, tCap);
        int size = Math.min(n, 4);
        int[] order = permutation(n, rnd);
        int next = 0;
        int stale = 0;
        while (System.nanoTime() < deadlineNanos && stale < 3 * n) {
            boolean repair = over(lp, cur, tCap) > 0;
            int seedInstance;
            if (repair) {
                seedInstance = busiest(lp, cur);
            } else {
                if (next == n) {
                    order = permutation(n, rnd);
                    next = 0;
                }
                seedInstance = order[next++];
            }
            boolean[] inS = neighbourhood(lp, cur, seedInstance, size, repair, rnd);
            boolean[] inX = freeExperts(lp, cur, inS);
            double remaining = (deadlineNanos - System.nanoTime()) / 1e9;
            double limit = Math.min(remaining, 0.15 + 0.05 * size);
            if (limit <= 0.01) break;
            long t0 = System.nanoTime();
            LayerIlp.Result r = LayerIlp.solve(lp, cur, inS, inX, tCap, repair, limit, 1, rnd.nextInt(1 << 30));
            double took = (System.nanoTime() - t0) / 1e9;
            boolean improved = false;
            if (r.assignment() != null) {
                double s = score(lp, r.assignment(), tCap);
                if (s < curScore - 1e-9 * Math.max(1, Math.abs(curScore))) {
                    cur = r.assignment();
                    curScore = s;
                    improved = true;
                }
            }
            stale = improved ? 0 : stale + 1;
            if (r.status() == CpSolverStatus.OPTIMAL && took < limit / 3) size = Math.min(n, size + 1);
            else if (r.status() != CpSolverStatus.OPTIMAL) size = Math.max(2, size - 1);
        }
        return cur;
    }

    /** Layer cost plus the repair penalty for straggler time above the cap. */
    static double score(LayerProblem lp, LayerAssignment a, long tCap) {
        return LayerCost.of(lp, a).objective()
                + LayerIlp.OVER_CAP_PENALTY * lp.weights.straggler() * over(lp, a, tCap) / lp.tokens;
    }

    /** Sum over instances of time (speed-1 tokens) above the cap; 0 when every instance is within. */
    static long over(LayerProblem lp, LayerAssignment a, long tCap) {
        long[] loads = a.instanceLoads(lp.instances);
        long sum = 0;
        for (int i = 0; i < lp.instances; i++) {
            sum += Math.max(0, (1000 * loads[i] + lp.speedMilli[i] - 1) / lp.speedMilli[i] - tCap);
        }
        return sum;
    }

    private static int busiest(LayerProblem lp, LayerAssignment a) {
        long[] loads = a.instanceLoads(lp.instances);
        int best = 0;
        for (int i = 1; i < lp.instances; i++) {
            if (loads[i] / lp.speed[i] > loads[best] / lp.speed[best]) best = i;
        }
        return best;
    }

    /** Seed plus the instances whose experts are most co-activated with, but apart from, S's. */
    private static boolean[] neighbourhood(LayerProblem lp, LayerAssignment a, int seed, int size, boolean repair,
                                           SplittableRandom rnd) {
        int n = lp.instances;
        double[][] aff = new double[n][n];
        for (int q = 0; q < lp.pairA.length; q++) {
            int x = lp.pairA[q];
            int y = lp.pairB[q];
            if (LayerCost.together(a, x, y)) continue;
            double c = lp.pairC[q] / (a.hosts[x].length * a.hosts[y].length);
            for (int i : a.hosts[x]) {
                for (int j : a.hosts[y]) {
                    aff[i][j] += c;
                    aff[j][i] += c;
                }
            }
        }
        boolean[] inS = new boolean[n];
        inS[seed] = true;
        int count = 1;
        if (repair && count < size) { // give the busiest instance somewhere to shed load
            long[] loads = a.instanceLoads(n);
            int idle = -1;
            for (int i = 0; i < n; i++) {
                if (!inS[i] && (idle < 0 || loads[i] / lp.speed[i] < loads[idle] / lp.speed[idle])) idle = i;
            }
            if (idle >= 0) {
                inS[idle] = true;
                count++;
            }
        }
        while (count < size) {
            int best = -1;
            double bestScore = -1;
            for (int j = 0; j < n; j++) {
                if (inS[j]) continue;
                double s = rnd.nextDouble() * 1e-9;
                for (int i = 0; i < n; i++) if (inS[i]) s += aff[i][j];
                if (s > bestScore) {
                    bestScore = s;
                    best = j;
                }
            }
            if (bestScore <= 1e-6) best = pickRandomOutside(inS, rnd); // no affinity left: diversify
            inS[best] = true;
            count++;
        }
        return inS;
    }

    private static int pickRandomOutside(boolean[] inS, SplittableRandom rnd) {
        int free = 0;
        for (boolean b : inS) if (!b) free++;
        int k = rnd.nextInt(free);
        for (int i = 0; i < inS.length; i++) {
            if (!inS[i] && k-- == 0) return i;
        }
        throw new IllegalStateException();
    }

    /** Experts with a copy in S, plus the hottest by load per copy (so replication can move too). */
    private static boolean[] freeExperts(LayerProblem lp, LayerAssignment a, boolean[] inS) {
        boolean[] inX = new boolean[lp.experts];
        for (int e = 0; e < lp.experts; e++) {
            for (int i : a.hosts[e]) if (inS[i]) inX[e] = true;
        }
        if (lp.physical > lp.experts) {
            for (int h = 0; h < HOT_EXPERTS; h++) {
                int best = -1;
                for (int e = 0; e < lp.experts; e++) {
                    if (inX[e]) continue;
                    if (best < 0 || lp.load[e] * a.hosts[best].length > lp.load[best] * a.hosts[e].length) best = e;
                }
                if (best < 0) break;
                inX[best] = true;
            }
        }
        return inX;
    }

    private static int[] permutation(int n, SplittableRandom rnd) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }
}
