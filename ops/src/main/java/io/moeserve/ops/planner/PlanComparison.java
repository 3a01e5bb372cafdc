package io.moeserve.ops.planner;

import io.moeserve.core.placement.InstanceSpec;
import io.moeserve.core.placement.PlacementPlan;
import io.moeserve.ops.planner.cost.PlanEvaluator;
import io.moeserve.ops.planner.solve.CostWeights;
import io.moeserve.ops.planner.solve.PlacementSolver;
import io.moeserve.ops.planner.solve.PlanningProblem;
import io.moeserve.ops.planner.solve.Solution;
import io.moeserve.ops.planner.stats.MovingStats;
import io.moeserve.ops.planner.stats.WindowStats;
import io.moeserve.ops.planner.trace.RoutingTrace;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Replays a trace window by window as the live planner would: after each window the moving average
 * of the statistics is updated and every method re-plans, starting from its own previous plan (the
 * first from {@code --previous}, if given). Each plan is then measured with {@link PlanEvaluator} on
 * the window it was planned for ({@code evaluateNext = false}) or on the following one.
 */
public final class PlanComparison {

    public record Options(String modelId, List<InstanceSpec> instances, int replicas, long expertBytes, int windows,
                          double emaAlpha, CostWeights weights, double timeLimitSeconds, int threads, long seed,
                          PlacementPlan previous, boolean evaluateNext) {
    }

    /**
     * Figures of one method over the replay. {@code gap} is NaN for heuristics; {@code heat} is the
     * load per layer and instance of the last measured window.
     */
    public record MethodReport(String name, double maxMeanLoad, double maxMeanLoadP99, double messagesPerToken,
                               long migrationBytes, int replans, double solveSeconds, double gap, double objective,
                               double bound, String status, long[][] heat, PlacementPlan plan) {
    }

    private PlanComparison() {
    }

    public static List<MethodReport> run(RoutingTrace trace, List<PlacementSolver> solvers, Options o) {
        List<RoutingTrace> windows = trace.windows(o.windows());
        int m = solvers.size();
        PlacementPlan[] prev = new PlacementPlan[m];
        Arrays.fill(prev, o.previous());
        List<List<Double>> maxMean = new ArrayList<>();
        long[] messages = new long[m];
        long[] tokenLayers = new long[m];
        long[] migration = new long[m];
        int[] replans = new int[m];
        double[] seconds = new double[m];
        double[] gap = new double[m];
        Arrays.fill(gap, Double.NaN);
        Solution[] last = new Solution[m];
        long[][][] heat = new long[m][][];
        for (int k = 0; k < m; k++) maxMean.add(new ArrayList<>());
        MovingStats ema = new MovingStats(o.emaAlpha());
        for (int w = 0; w < windows.size(); w++) {
            WindowStats avg = ema.update(WindowStats.of(windows.get(w)));
            RoutingTrace measured = !o.evaluateNext() ? windows.get(w)
                    : w + 1 < windows.size() ? windows.get(w + 1) : windows.size() == 1 ? windows.get(w) : null;
            for (int k = 0; k < m; k++) {
                long version = prev[k] == null ? w + 1 : prev[k].version() + 1;
                PlanningProblem p = new PlanningProblem(o.modelId(), version, avg, o.instances(), o.replicas(),
                        o.expertBytes(), prev[k], o.weights(), o.timeLimitSeconds(), o.threads(), o.seed());
                Solution s = solvers.get(k).solve(p);
                last[k] = s;
                seconds[k] = Math.max(seconds[k], s.seconds());
                if (!Double.isNaN(s.gap())) gap[k] = Double.isNaN(gap[k]) ? s.gap() : Math.max(gap[k], s.gap());
                if (prev[k] != null) {
                    migration[k] += PlanEvaluator.migrationBytes(prev[k], s.plan(), o.expertBytes());
                    replans[k]++;
                }
                prev[k] = s.plan();
                if (measured != null) {
                    PlanEvaluator.Evaluation e = PlanEvaluator.evaluate(s.plan(), measured);
                    maxMean.get(k).add(e.maxMean());
                    messages[k] += Math.round(e.messagesPerToken() * measured.tokens() * measured.layers());
                    tokenLayers[k] += (long) measured.tokens() * measured.layers();
                    heat[k] = e.instanceLoad();
                }
            }
        }
        List<MethodReport> out = new ArrayList<>(m);
        for (int k = 0; k < m; k++) {
            List<Double> mm = maxMean.get(k);
            out.add(new MethodReport(solvers.get(k).name(), mean(mm), percentile(mm, 0.99),
                    tokenLayers[k] == 0 ? Double.NaN : (double) messages[k] / tokenLayers[k],
                    replans[k] == 0 ? 0 : migration[k] / replans[k], replans[k], seconds[k], gap[k],
                    last[k].objective(), last[k].bound(), last[k].status(), heat[k], last[k].plan()));
        }
        return out;
    }

    private static double mean(List<Double> v) {
        return v.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    }

    /** Nearest-rank percentile. */
    static double percentile(List<Double> v, double p) {
        if (v.isEmpty()) return Double.NaN;
        double[] s = v.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int rank = (int) Math.ceil(p * s.length);
        return s[Math.max(0, Math.min(s.length - 1, rank - 1))];
    }
}
