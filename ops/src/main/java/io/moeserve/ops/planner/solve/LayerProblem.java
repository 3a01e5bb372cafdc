package io.moeserve.ops.planner.solve;

import io.moeserve.core.placement.ExpertPlacement;
import io.moeserve.core.placement.Replica;
import io.moeserve.ops.planner.stats.WindowStats;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One layer of a {@link PlanningProblem}, in the integer terms every solver shares: expected tokens
 * per expert, slots and speed per instance, the previous hosts, and the candidate co-activation
 * pairs. Layers are independent under the cost model (memory is split evenly over layers), which is
 * what lets the ILP decompose per layer.
 *
 * <p>Candidate pairs: each expert's {@code partnersPerExpert} most co-activated partners. Only
 * those pairs can count as "together" in the cost model; the co-activation of every other pair is
 * counted as split, a constant ({@link #otherPairs}) that no plan can change.
 */
public final class LayerProblem {

    final int layer;
    final int experts;
    final int instances;
    final int topK;
    final double tokens;
    final long[] load;
    final int[] cap;
    final double[] speed;
    final int physical;
    final boolean[][] prevHost; // [expert][instance], null without a previous plan
    final int[] pairA;
    final int[] pairB;
    final double[] pairC;
    final int[][] pairsOf; // expert -> indices of its candidate pairs
    final double otherPairs;
    final long expertBytes;
    final CostWeights weights;
    // The cost model in integer units (objective = units / SCALE), shared by LayerCost and the
    // CP-SAT models so that their objectives are the same numbers.
    final long[] speedMilli;   // speed * 1000: T of instance i = ceil(1000 * load / speedMilli)
    final long tCoef;          // per unit of straggler T
    final long[] pairCoef;     // per candidate pair that ends up split
    final long moveCoef;       // per expert copy not held before
    final long baseUnits;      // messages every plan pays: 1 per token + all non-candidate pairs

    /** Integer units per unit of per-token objective. */
    static final double SCALE = 1e8;

    LayerProblem(PlanningProblem p, int layer, int partnersPerExpert) {
        WindowStats s = p.stats();
        this.layer = layer;
        this.experts = s.experts();
        this.instances = p.instances().size();
        this.topK = s.topK();
        this.tokens = Math.max(1, s.tokens());
        this.load = new long[experts];
        for (int e = 0; e < experts; e++) load[e] = Math.max(0, Math.round(s.load()[layer][e]));
        this.cap = new int[instances];
        this.speed = new double[instances];
        for (int i = 0; i < instances; i++) {
            cap[i] = p.slotsPerLayer(i);
            speed[i] = p.instances().get(i).speed();
        }
        this.physical = p.physicalPerLayer();
        this.expertBytes = p.expertBytes();
        this.weights = p.weights();
        this.prevHost = p.previous() == null ? null : previousHosts(p, layer);
        // candidate pairs: union of each expert's strongest partners (top-k by insertion, no boxing)
        double[] c = s.coact()[layer];
        Map<Long, Integer> index = new HashMap<>();
        List<int[]> pairs = new ArrayList<>();
        double total = 0;
        for (int a = 0; a < experts; a++) {
            for (int b = a + 1; b < experts; b++) total += c[a * experts + b];
        }
        int k = Math.min(partnersPerExpert, experts - 1);
        int[] best = new int[k];
        for (int a = 0; a < experts && topK > 1 && k > 0; a++) {
            int row = a * experts;
            int found = 0;
            for (int b = 0; b < experts; b++) {
                double v = c[row + b];
                if (b == a || v <= 0 || (found == k && v <= c[row + best[k - 1]])) continue;
                int j = Math.min(found, k - 1);
                while (j > 0 && c[row + best[j - 1]] < v) {
                    best[j] = best[j - 1];
                    j--;
                }
                best[j] = b;
                if (found < k) found++;
            }
            for (int j = 0; j < found; j++) {
                int b = best[j];
                long key = (long) Math.min(a, b) * experts + Math.max(a, b);
                index.computeIfAbsent(key, x -> {
                    pairs.add(new int[] {(int) (key / experts), (int) (key % experts)});
                    return pairs.size() - 1;
                });
            }
        }
        pairA = new int[pairs.size()];
        pairB = new int[pairs.size()];
        pairC = new double[pairs.size()];
        int[] count = new int[experts];
        double candidate = 0;
        for (int q = 0; q < pairs.size(); q++) {
            pairA[q] = pairs.get(q)[0];
            pairB[q] = pairs.get(q)[1];
            pairC[q] = c[pairA[q] * experts + pairB[q]];
            candidate += pairC[q];
            count[pairA[q]]++;
            count[pairB[q]]++;
        }
        otherPairs = Math.max(0, total - candidate);
        CostWeights w = weights;
        double perToken = SCALE / tokens;
        speedMilli = new long[instances];
        for (int i = 0; i < instances; i++) speedMilli[i] = Math.max(1, Math.round(speed[i] * 1000));
        tCoef = Math.round(w.straggler() * perToken);
        pairCoef = new long[pairA.length];
        for (int q = 0; q < pairA.length; q++) pairCoef[q] = Math.round(w.messages() * perToken * pairMessages(q));
        moveCoef = Math.round(w.migrationPerGiB() * SCALE * expertBytes / (1L << 30));
        baseUnits = Math.round(w.messages() * perToken * (tokens + otherPairs * 2.0 / topK));
        pairsOf = new int[experts][];
        for (int e = 0; e < experts; e++) pairsOf[e] = new int[count[e]];
        int[] fill = new int[experts];
        for (int q = 0; q < pairA.length; q++) {
            pairsOf[pairA[q]][fill[pairA[q]]++] = q;
            pairsOf[pairB[q]][fill[pairB[q]]++] = q;
        }
    }

    private static boolean[][] previousHosts(PlanningProblem p, int layer) {
        Map<String, Integer> idx = new HashMap<>();
        for (int i = 0; i < p.instances().size(); i++) idx.put(p.instances().get(i).id(), i);
        boolean[][] prev = new boolean[p.experts()][p.instances().size()];
        for (int e = 0; e < p.experts(); e++) {
            ExpertPlacement ep = p.previous().placement(layer, e);
            if (ep == null) continue;
            for (Replica r : ep.replicas()) {
                Integer i = idx.get(r.instance()); // an instance that left holds nothing we can reuse
                if (i != null) prev[e][i] = true;
            }
        }
        return prev;
    }

    long totalLoad() {
        long t = 0;
        for (long v : load) t += v;
        return t;
    }

    /** Messages weight of splitting pair {@code q}, per token: a split pair costs 2/k messages. */
    double pairMessages(int q) {
        return pairC[q] * 2.0 / topK;
    }

    /** Straggler time of instance loads in the models' units (speed-1 tokens, rounded up). */
    long straggler(long[] loads) {
        long t = 0;
        for (int i = 0; i < instances; i++) t = Math.max(t, (1000 * loads[i] + speedMilli[i] - 1) / speedMilli[i]);
        return t;
    }
}
