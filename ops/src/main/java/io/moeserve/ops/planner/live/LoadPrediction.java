package io.moeserve.ops.planner.live;

import io.moeserve.core.placement.ExpertPlacement;
import io.moeserve.core.placement.PlacementPlan;
import io.moeserve.core.placement.Replica;
import io.moeserve.core.wire.RoutingStatsMessage;
import io.moeserve.ops.planner.stats.WindowStats;

import java.util.List;

/**
 * What a plan predicts each instance computes under given statistics: expert {@code e}'s token
 * choices at layer {@code l} split over its replicas by their shares. Instance order is the plan's.
 */
public final class LoadPrediction {
    private LoadPrediction() {
    }

    /** {@code [layer][instance]} expected token-expert computations. */
    public static double[][] perLayer(PlacementPlan plan, WindowStats stats) {
        int n = plan.instances().size();
        double[][] out = new double[stats.layers()][n];
        java.util.Map<String, Integer> index = new java.util.HashMap<>();
        for (int i = 0; i < n; i++) index.put(plan.instances().get(i).id(), i);
        for (ExpertPlacement p : plan.placements()) {
            if (p.layer() >= stats.layers() || p.expert() >= stats.experts()) continue;
            double w = stats.load()[p.layer()][p.expert()];
            for (Replica r : p.replicas()) {
                Integer i = index.get(r.instance());
                if (i != null) out[p.layer()][i] += w * r.share();
            }
        }
        return out;
    }

    /** {@code [instance]} summed over layers. */
    public static double[] perInstance(PlacementPlan plan, WindowStats stats) {
        double[][] l = perLayer(plan, stats);
        double[] out = new double[plan.instances().size()];
        for (double[] row : l) {
            for (int i = 0; i < row.length; i++) out[i] += row[i];
        }
        return out;
    }

    /** Busiest instance's time over the mean (speed-normalised), averaged over layers; 1.0 is perfect. */
    public static double maxMean(PlacementPlan plan, WindowStats stats) {
        double[][] l = perLayer(plan, stats);
        double[] speed = plan.instances().stream().mapToDouble(io.moeserve.core.placement.InstanceSpec::speed).toArray();
        double sum = 0;
        for (double[] row : l) sum += io.moeserve.ops.planner.cost.PlanEvaluator.maxMean(row, speed);
        return l.length == 0 ? 1 : sum / l.length;
    }

    /** The planner's statistics from one or more routers' windows (summed). */
    public static WindowStats toWindowStats(List<RoutingStatsMessage> windows) {
        RoutingStatsMessage first = windows.getFirst();
        int layers = first.layers(), experts = first.experts();
        double[][] load = new double[layers][experts];
        double[][] coact = new double[layers][experts * experts];
        double[][] trans = new double[Math.max(0, layers - 1)][experts * experts];
        double tokens = 0;
        for (RoutingStatsMessage m : windows) {
            if (m.layers() != layers || m.experts() != experts) {
                throw new IllegalArgumentException("routing stats of " + m.layers() + " x " + m.experts() + " cannot be summed with "
                        + layers + " x " + experts);
            }
            tokens += m.tokens();
            for (int l = 0; l < layers; l++) {
                for (int e = 0; e < experts; e++) load[l][e] += m.load()[l][e];
            }
            for (long[] r : m.coact()) {
                coact[(int) r[0]][(int) (r[1] * experts + r[2])] += r[3];
                coact[(int) r[0]][(int) (r[2] * experts + r[1])] += r[3];
            }
            for (long[] r : m.transitions()) trans[(int) r[0]][(int) (r[1] * experts + r[2])] += r[3];
        }
        return new WindowStats(layers, experts, first.topK(), tokens, load, coact, trans);
    }

    /** Statistics that know nothing yet: every expert equally loaded, no pairs. */
    public static WindowStats uniform(int layers, int experts, int topK) {
        double[][] load = new double[layers][experts];
        for (double[] row : load) java.util.Arrays.fill(row, 1.0);
        return new WindowStats(layers, experts, topK, (double) experts / topK, load, new double[layers][experts * experts],
                new double[Math.max(0, layers - 1)][experts * experts]);
    }
}
