package io.moeserve.ops.planner.solve;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Upper bounds on how much co-activation weight a plan can keep together inside one dense set of
 * experts, the cuts that make {@link LayerBound} see that a cluster larger than an instance must be
 * split. Sets come from a greedy clustering of the candidate pairs; any disjoint sets give valid
 * cuts, good sets give tight ones.
 *
 * <p><b>Why the bound holds.</b> Take any plan and a set {@code C} of {@code m} experts. Its
 * "saving" inside {@code C} is the weight of candidate pairs of {@code C} that share an instance.
 * <ol>
 *   <li>Without extra copies ({@code rho = 0}) the experts of {@code C} are partitioned by instance
 *       into groups of at most {@code cap} (slots of the largest instance). Weights are not
 *       negative, so merging two groups whose sizes add up to at most {@code cap} never lowers the
 *       saving; keep merging until no two groups can merge. The result has two groups (the best
 *       bipartition with both sides at most {@code cap}, found by enumeration) or at least three;
 *       then the two smallest sum to more than {@code cap}, so every group has at most
 *       {@code d = m - cap - 2} partners per expert and the saving is at most half the sum over
 *       experts of their {@code d} heaviest pairs in {@code C}. {@code g(0)} is the larger of the
 *       two (all of {@code C}'s weight when {@code m <= cap}).</li>
 *   <li>With {@code rho} extra copies of experts of {@code C}: deleting one extra copy of expert
 *       {@code e} loses at most the pairs that were together only through it: at most {@code cap - 1}
 *       partners ("star", the heaviest {@code cap - 1} pairs of {@code e}), and over all of
 *       {@code e}'s deleted copies at most all of {@code e}'s pairs. After deleting all extra copies
 *       the plan is a {@code rho = 0} plan, so {@code g(rho) <= g(0) +} the best {@code rho}
 *       marginal gains under those limits (taken greedily, each expert's gains do not increase).</li>
 * </ol>
 * All weights are the integer {@code pairCoef} units of {@link LayerProblem}.
 */
final class ClusterCuts {

    /** Largest set size enumerated (2^(m-1) bipartitions). */
    static final int MAX_SET = 18;

    /** One set: its experts, its candidate pairs, and {@code gain[rho]}, the most it can keep together. */
    record Cut(int[] experts, int[] pairs, long[] gain) {
    }

    private ClusterCuts() {
    }

    static List<Cut> cuts(LayerProblem lp, int maxCap, int maxExtra) {
        List<Cut> out = new ArrayList<>();
        int size = Math.min(MAX_SET, 2 * maxCap);
        if (maxCap < 2 || lp.pairA.length == 0) return out;
        for (int[] set : clusters(lp, size)) {
            if (set.length <= maxCap) continue; // fits on one instance: no cut
            out.add(cut(lp, set, maxCap, maxExtra));
        }
        return out;
    }

    static Cut cut(LayerProblem lp, int[] set, int maxCap, int maxExtra) {
        int m = set.length;
        int[] pos = new int[lp.experts];
        Arrays.fill(pos, -1);
        for (int k = 0; k < m; k++) pos[set[k]] = k;
        long[][] w = new long[m][m];
        List<Integer> pairs = new ArrayList<>();
        long total = 0;
        for (int q = 0; q < lp.pairA.length; q++) {
            int a = pos[lp.pairA[q]];
            int b = pos[lp.pairB[q]];
            if (a < 0 || b < 0) continue;
            w[a][b] += lp.pairCoef[q];
            w[b][a] += lp.pairCoef[q];
            total += lp.pairCoef[q];
            pairs.add(q);
        }
        long g0 = total;
        if (m > maxCap) g0 = Math.min(total, Math.max(bestBipartition(w, maxCap), heaviestPartners(w, m - maxCap - 2)));
        long[] gain = new long[maxExtra + 1];
        gain[0] = g0;
        long[] star = new long[m];
        long[] left = new long[m];
        for (int k = 0; k < m; k++) {
            star[k] = heaviestOf(w[k], maxCap - 1);
            for (long v : w[k]) left[k] += v;
        }
        for (int r = 1; r <= maxExtra; r++) {
            int best = 0;
            for (int k = 1; k < m; k++) if (Math.min(star[k], left[k]) > Math.min(star[best], left[best])) best = k;
            long add = Math.min(star[best], left[best]);
            left[best] -= add;
            gain[r] = Math.min(total, gain[r - 1] + add);
        }
        return new Cut(set, pairs.stream().mapToInt(Integer::intValue).toArray(), gain);
    }

    /** The largest weight inside two groups of at most {@code cap} (Gray-code enumeration). */
    static long bestBipartition(long[][] w, int cap) {
        int m = w.length;
        if (m > 2 * cap) return 0; // no bipartition exists; the caller's other bound applies
        boolean[] side = new boolean[m]; // expert m-1 stays on side false
        long[] toTrue = new long[m];  // weight from k to the "true" side
        long[] toFalse = new long[m];
        for (int k = 0; k < m; k++) for (int j = 0; j < m; j++) toFalse[k] += w[k][j];
        long inside = 0;
        for (int k = 0; k < m; k++) for (int j = k + 1; j < m; j++) inside += w[k][j];
        int trueCount = 0;
        long best = m <= cap ? inside : Long.MIN_VALUE;
        for (long g = 1; g < (1L << (m - 1)); g++) {
            int k = Long.numberOfTrailingZeros(g);
            // moving k across: it loses its pairs on its old side and gains those on the new side
            if (side[k]) {
                inside += toFalse[k] - toTrue[k];
                trueCount--;
            } else {
                inside += toTrue[k] - toFalse[k];
                trueCount++;
            }
            side[k] = !side[k];
            for (int j = 0; j < m; j++) {
                if (j == k) continue;
                if (side[k]) {
                    toTrue[j] += w[j][k];
                    toFalse[j] -= w[j][k];
                } else {
                    toTrue[j] -= w[j][k];
                    toFalse[j] += w[j][k];
                }
            }
            if (trueCount <= cap && m - trueCount <= cap && inside > best) best = inside;
        }
        return Math.max(0, best);
    }

    /** Half the sum over experts of their {@code d} heaviest pairs: each keeps at most d partners. */
    static long heaviestPartners(long[][] w, int d) {
        if (d <= 0) return 0;
        long sum = 0;
        for (long[] row : w) sum += heaviestOf(row, d);
        return (sum + 1) / 2;
    }

    private static long heaviestOf(long[] row, int d) {
        long[] s = row.clone();
        Arrays.sort(s);
        long sum = 0;
        for (int j = s.length - 1; j >= 0 && j >= s.length - d; j--) sum += s[j];
        return sum;
    }

    /**
     * Disjoint sets of at most {@code size} experts: repeatedly seed with the unassigned expert of
     * the heaviest remaining pairs and add the expert most tied to the set.
     */
    static List<int[]> clusters(LayerProblem lp, int size) {
        int n = lp.experts;
        long[][] adj = new long[n][n];
        for (int q = 0; q < lp.pairA.length; q++) {
            adj[lp.pairA[q]][lp.pairB[q]] += lp.pairCoef[q];
            adj[lp.pairB[q]][lp.pairA[q]] += lp.pairCoef[q];
        }
        boolean[] used = new boolean[n];
        long[] free = new long[n];
        for (int e = 0; e < n; e++) for (long v : adj[e]) free[e] += v;
        List<int[]> out = new ArrayList<>();
        for (int left = n; left > 0; ) {
            int seed = -1;
            for (int e = 0; e < n; e++) if (!used[e] && (seed < 0 || free[e] > free[seed])) seed = e;
            List<Integer> set = new ArrayList<>();
            long[] tie = new long[n];
            for (int e = seed; e >= 0; ) {
                set.add(e);
                used[e] = true;
                left--;
                for (int b = 0; b < n; b++) {
                    tie[b] += adj[e][b];
                    free[b] -= adj[e][b];
                }
                e = -1;
                if (set.size() >= size) break;
                for (int b = 0; b < n; b++) if (!used[b] && tie[b] > 0 && (e < 0 || tie[b] > tie[e])) e = b;
            }
            out.add(set.stream().mapToInt(Integer::intValue).toArray());
        }
        return out;
    }
}
