package io.moeserve.ops.planner.solve;

import io.moeserve.core.placement.PlacementPlan;

import java.util.stream.IntStream;

/**
 * Base of the solvers that place each layer on its own (all four: layers are independent under the
 * cost model). Builds the {@link LayerProblem}s, solves them, scores every layer with
 * {@link LayerCost} so all methods report comparable objectives, and assembles the plan.
 */
abstract class PerLayerSolver implements PlacementSolver {

    /** Candidate partners per expert in the cost model; the same for every method so objectives compare. */
    static int partnersPerExpert(PlanningProblem p) {
        int maxCap = 1;
        for (int i = 0; i < p.instances().size(); i++) maxCap = Math.max(maxCap, p.slotsPerLayer(i));
        return Math.min(p.experts() - 1, Math.max(8, 2 * (maxCap - 1)));
    }

    static LayerProblem[] layerProblems(PlanningProblem p) {
        int k = partnersPerExpert(p);
        return IntStream.range(0, p.layers()).parallel()
                .mapToObj(l -> new LayerProblem(p, l, k)).toArray(LayerProblem[]::new);
    }

    @Override
    public Solution solve(PlanningProblem p) {
        long start = System.nanoTime();
        LayerProblem[] lps = layerProblems(p);
        LayerAssignment[] out = new LayerAssignment[lps.length];
        for (int l = 0; l < lps.length; l++) out[l] = solveLayer(p, lps[l]);
        double obj = 0;
        for (int l = 0; l < lps.length; l++) obj += LayerCost.of(lps[l], out[l]).objective();
        PlacementPlan plan = Plans.assemble(p, out);
        return new Solution(name(), plan, obj, Double.NaN, Double.NaN, (System.nanoTime() - start) / 1e9, "HEURISTIC");
    }

    abstract LayerAssignment solveLayer(PlanningProblem p, LayerProblem lp);
}
