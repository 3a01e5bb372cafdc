package io.moeserve.ops.planner.solve;

/**
 * The cost model of one layer under {@link CostWeights}, computed in the integer units of
 * {@link LayerProblem} so that it is exactly the CP-SAT models' objective. Terms, per token of the
 * window:
 * <ul>
 *   <li>straggler: max over instances of tokens / speed;</li>
 *   <li>messages: 1 per token plus 2/k per co-activated pair whose experts share no instance
 *       (exact for top-2; for top-k a pairwise proxy that is exact at "all together" and "all
 *       apart");</li>
 *   <li>migration: GiB of expert copies not held by the same instance in the previous plan.</li>
 * </ul>
 */
public record LayerCost(double straggler, double messages, double migrationBytes, double objective) {

    static LayerCost of(LayerProblem p, LayerAssignment a) {
        long t = p.straggler(a.instanceLoads(p.instances));
        long units = p.tCoef * t + p.baseUnits;
        double split = p.otherPairs * 2.0 / p.topK;
        for (int q = 0; q < p.pairA.length; q++) {
            if (!together(a, p.pairA[q], p.pairB[q])) {
                split += p.pairMessages(q);
                units += p.pairCoef[q];
            }
        }
        long moved = 0;
        if (p.prevHost != null) {
            for (int e = 0; e < p.experts; e++) {
                for (int i : a.hosts[e]) {
                    if (!p.prevHost[e][i]) moved++;
                }
            }
        }
        units += p.moveCoef * moved;
        return new LayerCost(t, p.tokens + split, (double) moved * p.expertBytes, units / LayerProblem.SCALE);
    }

    static boolean together(LayerAssignment a, int x, int y) {
        for (int i : a.hosts[x]) {
            for (int j : a.hosts[y]) {
                if (i == j) return true;
            }
        }
        return false;
    }
}
