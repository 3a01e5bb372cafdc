package io.moeserve.ops.planner.solve;

/**
 * Consecutive expert ids on one instance (experts {@code 0..E/N-1} on the first, ...), blocks sized
 * in proportion to each instance's slots. The naive "shard the expert list" baseline.
 */
public final class ContiguousSolver extends PerLayerSolver {

    @Override
    public String name() {
        return "contiguous";
    }

    @Override
    LayerAssignment solveLayer(PlanningProblem p, LayerProblem lp) {
        long totalCap = 0;
        for (int c : lp.cap) totalCap += c;
        LayerAssignment a = new LayerAssignment(lp.experts);
        long before = 0;
        for (int i = 0; i < lp.instances; i++) {
            int from = (int) (lp.experts * before / totalCap);
            before += lp.cap[i];
            int to = (int) (lp.experts * before / totalCap);
            for (int e = from; e < to; e++) a.add(e, i, lp.load[e]);
        }
        return a;
    }
}
