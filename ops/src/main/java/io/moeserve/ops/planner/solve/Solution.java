package io.moeserve.ops.planner.solve;

import io.moeserve.core.placement.PlacementPlan;

/**
 * A solver's answer. {@code objective} is the plan's cost under {@link CostWeights} (the cost model
 * of {@link LayerCost}); {@code bound} a proven lower bound on any plan's cost and {@code gap}
 * {@code (objective - bound) / objective}, both {@code NaN} for heuristics that prove nothing.
 */
public record Solution(String method, PlacementPlan plan, double objective, double bound, double gap,
                       double seconds, String status) {

    public static double gap(double objective, double bound) {
        if (Double.isNaN(bound)) return Double.NaN;
        if (objective <= 0) return 0;
        return Math.max(0, (objective - bound) / objective);
    }
}
