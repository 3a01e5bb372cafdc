package io.moeserve.ops.planner.stats;

import io.moeserve.ops.planner.trace.RoutingTrace;

/**
 * The statistics the planner consumes for one window of tokens (the same ones the router will
 * publish on {@code moe.routing-stats}):
 * <ul>
 *   <li>{@code load[l][e]}: tokens routed to expert {@code e} at layer {@code l};</li>
 *   <li>{@code coact[l][a * E + b]}: tokens that chose both {@code a} and {@code b} at layer
 *       {@code l} (symmetric, diagonal 0);</li>
 *   <li>{@code transitions[l][a * E + b]}: pairs (choice {@code a} at layer {@code l}, choice
 *       {@code b} at layer {@code l + 1}) over the same token; reported, not yet optimised.</li>
 * </ul>
 * Counts are doubles so that a moving average is the same type.
 */
public record WindowStats(int layers, int experts, int topK, double tokens, double[][] load, double[][] coact,
                          double[][] transitions) {

    public static WindowStats of(RoutingTrace trace) {
        int layers = trace.layers();
        int experts = trace.experts();
        int k = trace.topK();
        double[][] load = new double[layers][experts];
        double[][] coact = new double[layers][experts * experts];
        double[][] trans = new double[Math.max(0, layers - 1)][experts * experts];
        int[] cur = new int[k];
        int[] prev = new int[k];
        for (int t = 0; t < trace.tokens(); t++) {
            for (int l = 0; l < layers; l++) {
                trace.experts(t, l, cur);
                double[] c = coact[l];
                for (int i = 0; i < k; i++) {
                    load[l][cur[i]]++;
                    for (int j = i + 1; j < k; j++) {
                        c[cur[i] * experts + cur[j]]++;
                        c[cur[j] * experts + cur[i]]++;
                    }
                }
                if (l > 0) {
                    double[] tr = trans[l - 1];
                    for (int a : prev) {
                        for (int b : cur) tr[a * experts + b]++;
                    }
                }
                int[] swap = prev;
                prev = cur;
                cur = swap;
            }
        }
        return new WindowStats(layers, experts, k, trace.tokens(), load, coact, trans);
    }

    /** Co-activation count of experts {@code a} and {@code b} at layer {@code l}. */
    public double coact(int l, int a, int b) {
        return coact[l][a * experts + b];
    }

    /** Largest expert load over mean expert load at layer {@code l} (how skewed routing is). */
    public double skew(int l) {
        double max = 0;
        double sum = 0;
        for (double v : load[l]) {
            max = Math.max(max, v);
            sum += v;
        }
        return sum == 0 ? 1 : max / (sum / experts);
    }
}
