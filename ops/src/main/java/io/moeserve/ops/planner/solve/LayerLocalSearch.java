package io.moeserve.ops.planner.solve;

import java.util.SplittableRandom;

/**
 * Fast local search on one layer in the integer units of {@link LayerCost}; the ILP's warm start at
 * scales where CP-SAT cannot take the whole layer at once. The caller keeps its result only if the
 * full cost (straggler included) is lower. Moves: swap two copies between instances (tried where a copy's
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

    /**
     * Iterated local search: the search converges to a local optimum in a fraction of a DeepSeek
     * layer's time, and CP-SAT's neighbourhoods rarely leave it; a few random exchanges of
     * single-copy experts, then the search again, kept when the full cost (straggler included)
     * drops, does (about 1.5 % of a layer's objective from scratch).
     */
    static LayerAssignment iterate(LayerProblem lp, LayerAssignment start, long tCap, long deadlineNanos, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed ^ 0x5DEECE66DL);
        LayerAssignment best = improve(lp, start, tCap, deadlineNanos, seed);
        double bestScore = LayerLns.score(lp, best, tCap);
        for (int it = 1; System.nanoTime() < deadlineNanos; it++) {
            LayerAssignment b = best.copy();
            for (int k = 0; k < KICK_EXCHANGES; k++) {
                int x = rnd.nextInt(lp.experts);
                int y = rnd.nextInt(lp.experts);
                if (b.hosts[x].length != 1 || b.hosts[y].length != 1 || b.hosts[x][0] == b.hosts[y][0]) continue;
                int hx = b.hosts[x][0]; // a single copy carries all of its expert's tokens: they move with it
                b.hosts[x][0] = b.hosts[y][0];
                b.hosts[y][0] = hx;
            }
            b = improve(lp, b, tCap, Math.min(deadlineNanos, System.nanoTime() + KICK_SEARCH_NANOS), seed + it);
            double s = LayerLns.score(lp, b, tCap);
            if (s < bestScore) {
                best = b;
                bestScore = s;
            }
        }
        return best;
    }

    /** Exchanges per kick of {@link #iterate}, and the longest search after one. */
    static final int KICK_EXCHANGES = 3;
    static final long KICK_SEARCH_NANOS = 300_000_000;

    private void run(long deadline, SplittableRandom rnd) {
        rebalance();
        repair(deadline);
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

    /**
     * While the busiest instance is above the cap (a previous plan under new loads): apply the best
     * move that lowers the score among moving, swapping or re-replicating one of its copies. The
     * score charges migration, so the cheapest fix wins: shares first (free), then few moves.
     */
    private void repair(long deadline) {
        while (excess() > 0 && System.nanoTime() < deadline) {
            int top = 0; // the instance furthest above the cap
            for (int i = 1; i < n; i++) if (time(i) > time(top)) top = i;
            long base = score();
            long best = base;
            int[] move = null; // kind, e, from, f-or-g, to
            int[] rc = new int[experts];
            for (int g = 0; g < experts; g++) rc[g] = replicas(g);
            for (int e = 0; e < experts; e++) {
                if (!host[e][top]) continue;
                for (int j = 0; j < n; j++) {
                    if (j == top || host[e][j]) continue;
                    if (copies[j] < lp.cap[j]) {
                        moveCopy(e, top, j);
                        long s = score();
                        moveCopy(e, j, top);
                        if (s < best) {
                            best = s;
                            move = new int[] {0, e, top, -1, j};
                        }
                    }
                    for (int f = 0; f < experts; f++) {
                        if (f == e || !host[f][j] || host[f][top]) continue;
                        moveCopy(e, top, j);
                        moveCopy(f, j, top);
                        long s = score();
                        moveCopy(f, top, j);
                        moveCopy(e, j, top);
                        if (s < best) {
                            best = s;
                            move = new int[] {1, e, top, f, j};
                        }
                    }
                    for (int g = 0; g < experts; g++) { // g gives up its copy on j to a copy of e
                        if (g == e || !host[g][j] || rc[g] < 2) continue;
                        long[] undo = snapshot(e, g);
                        replicate(e, top, g, j);
                        long s = score();
                        restore(e, g, undo);
                        if (s < best) {
                            best = s;
                            move = new int[] {2, e, top, g, j};
                        }
                    }
                }
            }
            if (move == null) return; // nothing lowers the score: the caller falls back
            switch (move[0]) {
                case 0 -> moveCopy(move[1], move[2], move[4]);
                case 1 -> {
                    moveCopy(move[1], move[2], move[4]);
                    moveCopy(move[3], move[4], move[2]);
                }
                default -> replicate(move[1], move[2], move[3], move[4]);
            }
            rebalance();
        }
    }

    /** Drops g's copy on j (its tokens go to g's other copies) and gives e (hot on top) a copy there. */
    private void replicate(int e, int top, int g, int j) {
        long freed = tok[g][j];
        removeCopy(g, j);
        for (int i = 0; i < n && freed > 0; i++) { // to g's least loaded other copy
            int best = -1;
            for (int k = 0; k < n; k++) if (host[g][k] && (best < 0 || time(k) < time(best))) best = k;
            tok[g][best] += freed;
            load[best] += freed;
            freed = 0;
        }
        addCopy(e, j);
        long half = tok[e][top] / 2;
        tok[e][top] -= half;
        load[top] -= half;
        tok[e][j] += half;
        load[j] += half;
    }

    private int replicas(int e) {
        int r = 0;
        for (int i = 0; i < n; i++) if (host[e][i]) r++;
        return r;
    }

    private long[] snapshot(int e, int g) {
        long[] s = new long[4 * n];
        for (int i = 0; i < n; i++) {
            s[i] = tok[e][i];
            s[n + i] = tok[g][i];
            s[2 * n + i] = (host[e][i] ? 1 : 0) | (host[g][i] ? 2 : 0);
            s[3 * n + i] = load[i];
        }
        return s;
    }

    private void restore(int e, int g, long[] s) {
        for (int i = 0; i < n; i++) {
            boolean he = (s[2 * n + i] & 1) != 0;
            boolean hg = (s[2 * n + i] & 2) != 0;
            if (host[e][i] && !he) removeCopy(e, i);
            if (!host[e][i] && he) addCopy(e, i);
            if (host[g][i] && !hg) removeCopy(g, i);
            if (!host[g][i] && hg) addCopy(g, i);
        }
        for (int i = 0; i < n; i++) {
            tok[e][i] = s[i];
            tok[g][i] = s[n + i];
            load[i] = s[3 * n + i];
        }
    }

    /** Adds an empty copy of e on i (tokens are the caller's business). */
    private void addCopy(int e, int i) {
        host[e][i] = true;
        copies[i]++;
        if (lp.prevHost != null && !lp.prevHost[e][i]) moved++;
        for (int q : lp.pairsOf[e]) {
            int b = lp.pairA[q] == e ? lp.pairB[q] : lp.pairA[q];
            if (host[b][i] && together[q]++ == 0) splitUnits -= lp.pairCoef[q];
        }
    }

    /** Removes e's copy on i; its tokens must have been moved (or are moved by the caller). */
    private void removeCopy(int e, int i) {
        for (int q : lp.pairsOf[e]) {
            int b = lp.pairA[q] == e ? lp.pairB[q] : lp.pairA[q];
            if (host[b][i] && --together[q] == 0) splitUnits += lp.pairCoef[q];
        }
        host[e][i] = false;
        copies[i]--;
        if (lp.prevHost != null && !lp.prevHost[e][i]) moved--;
        load[i] -= tok[e][i];
        tok[e][i] = 0;
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

    /**
     * Flattens the busiest instance by shifting tokens between replicas, along chains if need be:
     * instance a can pass tokens to b when some expert has a copy with tokens on a and a copy on b.
     * Breadth-first from the busiest instance to the least busy one it reaches, push half the
     * difference (bounded by the chain's thinnest copy); repeat while the busiest time drops.
     */
    private void rebalance() {
        int[] via = new int[n];
        int[] prevInst = new int[n];
        int[] queue = new int[n];
        for (int iter = 0; iter < 8 * n; iter++) {
            int top = 0;
            for (int i = 1; i < n; i++) if (time(i) > time(top)) top = i;
            java.util.Arrays.fill(prevInst, -2);
            prevInst[top] = -1;
            int head = 0;
            int tail = 0;
            queue[tail++] = top;
            int target = -1;
            while (head < tail) {
                int a = queue[head++];
                if (a != top && (target < 0 || time(a) < time(target))) target = a;
                for (int e = 0; e < experts; e++) {
                    if (!host[e][a] || tok[e][a] == 0) continue;
                    for (int b = 0; b < n; b++) {
                        if (!host[e][b] || prevInst[b] != -2) continue;
                        prevInst[b] = a;
                        via[b] = e;
                        queue[tail++] = b;
                    }
                }
            }
            if (target < 0) return;
            double sTop = lp.speed[top];
            double sT = lp.speed[target];
            long d = (long) Math.floor((load[top] * sT - load[target] * sTop) / (sTop + sT));
            for (int b = target; prevInst[b] >= 0; b = prevInst[b]) d = Math.min(d, tok[via[b]][prevInst[b]]);
            if (d <= 0) return;
            for (int b = target; prevInst[b] >= 0; b = prevInst[b]) {
                int a = prevInst[b];
                int e = via[b];
                tok[e][a] -= d;
                tok[e][b] += d;
                load[a] -= d;
                load[b] += d;
            }
        }
    }

    /** Sum over instances of time above the cap: the repair's guide (all of it must go). */
    private long excess() {
        long sum = 0;
        for (int i = 0; i < n; i++) {
            sum += Math.max(0, (1000 * load[i] + lp.speedMilli[i] - 1) / lp.speedMilli[i] - tCap);
        }
        return sum;
    }

    private double time(int i) {
        return load[i] / lp.speed[i];
    }

    /**
     * The search's score: messages and migration, with the balance cap as a steep penalty. The
     * straggler term is left out on purpose: shares are re-flattened after every pass, so a move
     * only has to keep instances under the cap, and the slack between the flattened loads and the
     * cap is what lets copies move at all.
     */
    private long score() {
        return lp.baseUnits + splitUnits + lp.moveCoef * moved
                + Math.round(LayerIlp.OVER_CAP_PENALTY * Math.max(1, lp.tCoef)) * excess();
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
