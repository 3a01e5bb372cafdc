package io.moeserve.ops.planner.solve;

import java.util.SplittableRandom;

/**
 * Fast local search on one layer under exactly the integer cost of {@link LayerCost} (plus the
 * over-cap penalty of {@link LayerLns#score}); the ILP's warm start at scales where CP-SAT cannot
 * take the whole layer at once. Moves: swap two copies between instances (tried where a copy's
 * co-activated partners are), move a copy to a free slot, and shift tokens between an expert's
 * replicas to flatten the busiest instance. Deltas are incremental: per candidate pair it keeps how
 * many instances hold both experts.
 */
final class LayerLocalSearch {

    private final LayerProblem lp;
    private final long tCap;
    private final int n;
    private final int experts;
    private final boolean[][] host;
    private final long[][] tok;
    private final long[] load;
    private final int[] copies;
    private final int[] together; // per candidate pair: instances holding both
    private long splitUnits;
    private long moved;

    private LayerLocalSearch(LayerProblem lp, LayerAssignment a, long tCap) {
        this.lp = lp;
        this.tCap = tCap;
        this.n = lp.instances;
        this.experts = lp.experts;
        host = new boolean[experts][n];
        tok = new long[experts][n];
        load = new long[n];
        copies = new int[n];
        for (int e = 0; e < experts; e++) {
            for (int r = 0; r < a.hosts[e].length; r++) {
                int i = a.hosts[e][r];
                host[e][i] = true;
                tok[e][i] += a.tokens[e][r];
                load[i] += a.tokens[e][r];
                copies[i]++;
                if (lp.prevHost != null && !lp.prevHost[e][i]) moved++;
            }
        }
        together = new int[lp.pairA.length];
        for (int q = 0; q < together.length; q++) {
            for (int i = 0; i < n; i++) if (host[lp.pairA[q]][i] && host[lp.pairB[q]][i]) together[q]++;
            if (together[q] == 0) splitUnits += lp.pairCoef[q];
        }
    }

    static LayerAssignment improve(LayerProblem lp, LayerAssignment start, long tCap, long deadlineNanos, long seed) {
        LayerLocalSearch s = new LayerLocalSearch(lp, start, tCap);
        s.run(deadlineNanos, new SplittableRandom(seed));
        return s.result();
    }

    private void run(long deadline, SplittableRandom rnd) {
        rebalance();
        long score = score();
        int[] order = new int[experts];
        for (int e = 0; e < experts; e++) order[e] = e;
        boolean improved = true;
        while (improved && System.nanoTime() < deadline) {
            improved = false;
            shuffle(order, rnd);
            for (int e : order) {
                if (System.nanoTime() > deadline) break;
                for (int i = 0; i < n; i++) {
                    if (!host[e][i]) continue;
                    long s = tryRelocate(e, i, score);
                    if (s < score) {
                        score = s;
                        improved = true;
                        break; // e's copies changed; move on
                    }
                }
            }
            rebalance();
            score = score();
        }
    }

    /** Best improving swap or move of copy (e on i) towards instances holding e's partners. */
    private long tryRelocate(int e, int i, long score) {
        long[] gain = new long[n];
        for (int q : lp.pairsOf[e]) {
            int b = lp.pairA[q] == e ? lp.pairB[q] : lp.pairA[q];
            for (int j = 0; j < n; j++) if (host[b][j]) gain[j] += lp.pairCoef[q];
        }
        for (int pass = 0; pass < n; pass++) { // targets in order of affinity, best first
            int j = -1;
            for (int k = 0; k < n; k++) {
                if (k == i || host[e][k] || gain[k] < 0) continue;
                if (j < 0 || gain[k] > gain[j]) j = k;
            }
            if (j < 0 || gain[j] <= gain[i] && lp.prevHost == null) return score;
            gain[j] = -1; // tried
            if (copies[j] < lp.cap[j]) {
                moveCopy(e, i, j);
                long s = score();
                if (s < score) return s;
                moveCopy(e, j, i);
            }
            for (int f = 0; f < experts; f++) {
                if (f == e || !host[f][j] || host[f][i]) continue;
                moveCopy(e, i, j);
                moveCopy(f, j, i);
                long s = score();
                if (s < score) return s;
                moveCopy(f, i, j);
                moveCopy(e, j, i);
            }
        }
        return score;
    }

    private void moveCopy(int e, int from, int to) {
        for (int q : lp.pairsOf[e]) {
            int b = lp.pairA[q] == e ? lp.pairB[q] : lp.pairA[q];
            if (host[b][from] && --together[q] == 0) splitUnits += lp.pairCoef[q];
        }
        host[e][from] = false;
        host[e][to] = true;
        for (int q : lp.pairsOf[e]) {
            int b = lp.pairA[q] == e ? lp.pairB[q] : lp.pairA[q];
            if (host[b][to] && together[q]++ == 0) splitUnits -= lp.pairCoef[q];
        }
        long t = tok[e][from];
        tok[e][from] = 0;
        tok[e][to] = t;
        load[from] -= t;
        load[to] += t;
        copies[from]--;
        copies[to]++;
        if (lp.prevHost != null) {
            if (!lp.prevHost[e][from]) moved--;
            if (!lp.prevHost[e][to]) moved++;
        }
    }

    /** Shifts tokens between replicas of one expert away from the busiest instance while it helps. */
    private void rebalance() {
        for (int iter = 0; iter < 4 * experts; iter++) {
            int top = 0;
            for (int i = 1; i < n; i++) if (time(i) > time(top)) top = i;
            int bestE = -1;
            int bestJ = -1;
            long bestDelta = 0;
            for (int e = 0; e < experts; e++) {
                if (!host[e][top] || tok[e][top] == 0) continue;
                for (int j = 0; j < n; j++) {
                    if (j == top || !host[e][j]) continue;
                    // move d tokens so both instances end as close to equal time as possible
                    double sTop = lp.speed[top];
                    double sJ = lp.speed[j];
                    long d = (long) Math.floor((load[top] * sJ - load[j] * sTop) / (sTop + sJ));
                    d = Math.min(d, tok[e][top]);
                    if (d > bestDelta) {
                        bestDelta = d;
                        bestE = e;
                        bestJ = j;
                    }
                }
            }
            if (bestE < 0) return;
            tok[bestE][top] -= bestDelta;
            tok[bestE][bestJ] += bestDelta;
            load[top] -= bestDelta;
            load[bestJ] += bestDelta;
        }
    }

    private double time(int i) {
        return load[i] / lp.speed[i];
    }

    private long score() {
        long t = lp.straggler(load);
        long over = Math.max(0, t - tCap);
        return lp.tCoef * t + lp.baseUnits + splitUnits + lp.moveCoef * moved
                + Math.round(LayerIlp.OVER_CAP_PENALTY * Math.max(1, lp.tCoef)) * over;
    }

    private LayerAssignment result() {
        LayerAssignment a = new LayerAssignment(experts);
        for (int e = 0; e < experts; e++) {
            for (int i = 0; i < n; i++) if (host[e][i]) a.add(e, i, tok[e][i]);
        }
        return a;
    }

    private static void shuffle(int[] a, SplittableRandom rnd) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }
}
