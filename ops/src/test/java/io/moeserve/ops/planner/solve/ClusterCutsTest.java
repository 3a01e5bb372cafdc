package io.moeserve.ops.planner.solve;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

class ClusterCutsTest {

    @Test
    void bestBipartition_isTheBruteForceBestOfAllPartitionsIntoGroupsThatFit() {
        SplittableRandom rnd = new SplittableRandom(7);
        for (int trial = 0; trial < 20; trial++) {
            int m = 6 + rnd.nextInt(4);
            int cap = (m + 1) / 2 + rnd.nextInt(2);
            long[][] w = randomWeights(m, rnd);

            long best = bestPartition(w, cap, new int[m], 0, 0);
            long bip = ClusterCuts.bestBipartition(w, cap);
            long g0 = Math.max(bip, ClusterCuts.heaviestPartners(w, m - cap - 2));

            assertThat(bip).as("trial %d: a bipartition is a partition", trial).isLessThanOrEqualTo(best);
            assertThat(g0).as("trial %d: g(0) bounds every partition", trial).isGreaterThanOrEqualTo(best);
        }
    }

    @Test
    void bestBipartition_keepsTwoDisjointCliquesTogether() {
        long[][] w = new long[6][6];
        for (int a = 0; a < 6; a++) {
            for (int b = 0; b < 6; b++) if (a != b && (a < 3) == (b < 3)) w[a][b] = 10;
        }
        w[0][3] = w[3][0] = 1;
        assertThat(ClusterCuts.bestBipartition(w, 3)).isEqualTo(60); // 2 x 3 pairs of 10, the 1 split
    }

    /** Best weight kept inside groups of at most {@code cap}, over every partition (restricted growth strings). */
    private static long bestPartition(long[][] w, int cap, int[] group, int k, int groups) {
        int m = w.length;
        if (k == m) {
            int[] size = new int[groups];
            for (int g : group) size[g]++;
            for (int s : size) if (s > cap) return Long.MIN_VALUE;
            long in = 0;
            for (int a = 0; a < m; a++) for (int b = a + 1; b < m; b++) if (group[a] == group[b]) in += w[a][b];
            return in;
        }
        long best = Long.MIN_VALUE;
        for (int g = 0; g <= groups; g++) {
            group[k] = g;
            best = Math.max(best, bestPartition(w, cap, group, k + 1, Math.max(groups, g + 1)));
        }
        return best;
    }

    private static long[][] randomWeights(int m, SplittableRandom rnd) {
        long[][] w = new long[m][m];
        for (int a = 0; a < m; a++) {
            for (int b = a + 1; b < m; b++) w[a][b] = w[b][a] = rnd.nextInt(4) == 0 ? 0 : rnd.nextInt(1000);
        }
        return w;
    }
}
