package io.moeserve.ops.planner.solve;

import java.util.Arrays;

/**
 * DeepSeek's EPLB, per layer: (1) replication: give each spare slot to the expert with the highest
 * load per replica; (2) balanced packing: take the copies heaviest first and put each on the
 * instance that would finish earliest (load / speed) among those with a free slot and no copy of
 * that expert yet. Replicas split their expert's tokens evenly. Ignores co-activation and the
 * previous plan, as EPLB does; it is the ILP's warm start and its fallback.
 */
public final class GreedySolver extends PerLayerSolver {

    @Override
    public String name() {
        return "greedy";
    }

    @Override
    LayerAssignment solveLayer(PlanningProblem p, LayerProblem lp) {
        return layer(lp);
    }

    static LayerAssignment layer(LayerProblem lp) {
        int n = lp.instances;
        int[] replicas = new int[lp.experts];
        Arrays.fill(replicas, 1);
        for (int spare = lp.physical - lp.experts; spare > 0; spare--) {
            int best = -1;
            for (int e = 0; e < lp.experts; e++) {
                if (replicas[e] >= n) continue;
                if (best < 0 || lp.load[e] * replicas[best] > lp.load[best] * replicas[e]) best = e;
            }
            if (best < 0) break;
            replicas[best]++;
        }
        // copies: (expert, tokens), heaviest first
        int copies = 0;
        for (int r : replicas) copies += r;
        int[] cx = new int[copies];
        long[] ct = new long[copies];
        int c = 0;
        for (int e = 0; e < lp.experts; e++) {
            long base = lp.load[e] / replicas[e];
            long extra = lp.load[e] % replicas[e];
            for (int r = 0; r < replicas[e]; r++) {
                cx[c] = e;
                ct[c++] = base + (r < extra ? 1 : 0);
            }
        }
        Integer[] order = new Integer[copies];
        for (int i = 0; i < copies; i++) order[i] = i;
        Arrays.sort(order, (x, y) -> ct[x] != ct[y] ? Long.compare(ct[y], ct[x]) : Integer.compare(cx[x], cx[y]));
        long[] load = new long[n];
        int[] used = new int[n];
        LayerAssignment a = new LayerAssignment(lp.experts);
        for (int o : order) {
            int e = cx[o];
            int best = -1;
            for (boolean allowSame : new boolean[] {false, true}) {
                for (int i = 0; i < n; i++) {
                    if (used[i] >= lp.cap[i] || (!allowSame && a.hosts(e, i))) continue;
                    if (best < 0 || (load[i] + ct[o]) / lp.speed[i] < (load[best] + ct[o]) / lp.speed[best]) best = i;
                }
                if (best >= 0) break;
            }
            if (best < 0) throw new IllegalStateException("no free slot for expert " + e + " of layer " + lp.layer);
            if (!a.hosts(e, best)) used[best]++;
            load[best] += ct[o];
            a.add(e, best, ct[o]);
        }
        return a;
    }
}
