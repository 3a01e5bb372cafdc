package io.moeserve.ops.planner.cost;

import io.moeserve.core.placement.ExpertPlacement;
import io.moeserve.core.placement.PlacementPlan;
import io.moeserve.core.placement.Replica;
import io.moeserve.core.placement.ReplicaSelector;
import io.moeserve.ops.planner.trace.RoutingTrace;

/**
 * Measures a plan on a trace the way the router would run it: every token of every layer goes
 * through a fresh {@link ReplicaSelector}, so loads and messages are what serving would produce,
 * not what the plan's shares promise.
 */
public final class PlanEvaluator {

    /**
     * @param instanceLoad     [layer][instance] token-expert computations sent to each instance
     * @param maxMeanPerLayer  busiest instance's time over the mean, per layer (speed-normalised)
     * @param maxMean          {@code maxMeanPerLayer} averaged over layers
     * @param messagesPerToken distinct instances a token is sent to, averaged over tokens and layers
     */
    public record Evaluation(long[][] instanceLoad, double[] maxMeanPerLayer, double maxMean, double messagesPerToken) {
    }

    private PlanEvaluator() {
    }

    public static Evaluation evaluate(PlacementPlan plan, RoutingTrace trace) {
        if (plan.numLayers() != trace.layers() || plan.numExperts() < trace.experts()) {
            throw new IllegalArgumentException("plan of " + plan.numLayers() + " layers x " + plan.numExperts()
                    + " experts cannot serve a trace of " + trace.layers() + " x " + trace.experts());
        }
        ReplicaSelector selector = new ReplicaSelector(plan);
        int n = selector.numInstances();
        int layers = trace.layers();
        int k = trace.topK();
        long[][] load = new long[layers][n];
        int[] sel = new int[k];
        int[] out = new int[k];
        long messages = 0;
        for (int t = 0; t < trace.tokens(); t++) {
            for (int l = 0; l < layers; l++) {
                trace.experts(t, l, sel);
                messages += selector.select(l, sel, k, out);
                for (int j = 0; j < k; j++) load[l][out[j]]++;
            }
        }
        double[] speed = new double[n];
        for (int i = 0; i < n; i++) speed[i] = plan.instances().get(i).speed();
        double[] perLayer = new double[layers];
        double sum = 0;
        for (int l = 0; l < layers; l++) {
            double[] row = new double[n];
            for (int i = 0; i < n; i++) row[i] = load[l][i];
            perLayer[l] = maxMean(row, speed);
            sum += perLayer[l];
        }
        double perToken = trace.tokens() == 0 ? 0 : (double) messages / ((long) trace.tokens() * layers);
        return new Evaluation(load, perLayer, sum / layers, perToken);
    }

    /** Busiest instance's time (load / speed) over the mean time of one layer; 1.0 when nothing was sent. */
    public static double maxMean(double[] load, double[] speed) {
        double total = 0, max = 0, speedSum = 0;
        for (int i = 0; i < load.length; i++) {
            total += load[i];
            speedSum += speed[i];
            max = Math.max(max, load[i] / speed[i]);
        }
        return total == 0 ? 1.0 : max / (total / speedSum);
    }

    /**
     * Bytes of expert weights instances must load to go from {@code from} to {@code to}: every
     * (layer, expert) copy an instance holds in {@code to} but not in {@code from}.
     */
    public static long migrationBytes(PlacementPlan from, PlacementPlan to, long expertBytes) {
        if (from == null) return 0;
        long copies = 0;
        for (ExpertPlacement p : to.placements()) {
            ExpertPlacement before = from.placement(p.layer(), p.expert());
            for (Replica r : p.replicas()) {
                if (before == null || !before.hostedOn(r.instance())) copies++;
            }
        }
        return copies * expertBytes;
    }
}
