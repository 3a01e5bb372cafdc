package io.moeserve.ops.planner.solve;

/** Expert {@code e} of layer {@code l} on instance {@code (l * E + e) mod N}: what services start with. */
public final class RoundRobinSolver extends PerLayerSolver {

    @Override
    public String name() {
        return "round-robin";
    }

    @Override
    LayerAssignment solveLayer(PlanningProblem p, LayerProblem lp) {
        LayerAssignment a = new LayerAssignment(lp.experts);
        for (int e = 0; e < lp.experts; e++) {
            a.add(e, (int) (((long) lp.layer * lp.experts + e) % lp.instances), lp.load[e]);
        }
        return a;
    }
}
