package io.moeserve.ops.planner.solve;

/**
 * One way of turning statistics into a placement plan. Offline ({@code moe plan}) and, later, the
 * live planner service call the same implementations; they hold no state between calls.
 */
public interface PlacementSolver {

    /** The method name used in reports: {@code round-robin}, {@code contiguous}, {@code greedy}, {@code ilp}. */
    String name();

    Solution solve(PlanningProblem problem);
}
