package io.moeserve.ops.planner.trace;

import io.moeserve.ops.planner.ModelShape;

import java.util.SplittableRandom;

/**
 * Seeded, deterministic routing traces for shapes we cannot run here (Mixtral, Qwen3-30B-A3B,
 * DeepSeek-V3), with the three properties placement cares about:
 * <ul>
 *   <li><b>skewed popularity</b>: per layer, expert popularity follows Zipf(s) over a random ranking;</li>
 *   <li><b>co-activation clusters</b>: per layer the experts form random clusters of
 *       {@code clusterSize}; a token picks a cluster (its "topic") and draws each of its top-k
 *       experts from that cluster with probability {@code affinity}, else from all experts;</li>
 *   <li><b>drift</b>: at each window boundary every expert's popularity takes a log-normal step
 *       of {@code drift} sigma, so later windows favour other experts.</li>
 * </ul>
 * A token's topic persists across layers with probability {@code topicPersistence}, which gives
 * structured layer-to-layer transitions. All draws come from one {@link SplittableRandom}.
 */
public final class SyntheticTraces {

    /** Knobs of the generator; {@link #defaults(ModelShape)} gives the ones {@code moe plan} uses. */
    public record Options(double zipf, int clusterSize, double affinity, double drift, double topicPersistence) {
    }

    private SyntheticTraces() {
    }

    public static Options defaults(ModelShape shape) {
        int cluster = Math.min(shape.experts(), Math.max(2, 2 * shape.topK()));
        return new Options(0.8, cluster, 0.75, 0.3, 0.7);
    }

    public static RoutingTrace generate(ModelShape shape, int windows, int tokensPerWindow, long seed) {
        return generate(shape, windows, tokensPerWindow, seed, defaults(shape));
    }

    public static RoutingTrace generate(ModelShape shape, int windows, int tokensPerWindow, long seed, Options o) {
        int layers = shape.layers();
        int experts = shape.experts();
        int k = shape.topK();
        if (k > experts) throw new IllegalArgumentException("top-k " + k + " > experts " + experts);
        SplittableRandom rnd = new SplittableRandom(seed);
        int clusters = Math.max(1, experts / o.clusterSize());
        int[][] clusterOf = new int[layers][experts];
        int[][][] members = new int[layers][clusters][];
        double[][] pop = new double[layers][experts];
        for (int l = 0; l < layers; l++) {
            int[] perm = permutation(experts, rnd);
            int[] size = new int[clusters];
            for (int i = 0; i < experts; i++) {
                int c = Math.min(i / o.clusterSize(), clusters - 1);
                clusterOf[l][perm[i]] = c;
                size[c]++;
            }
            for (int c = 0; c < clusters; c++) members[l][c] = new int[size[c]];
            int[] fill = new int[clusters];
            for (int e = 0; e < experts; e++) members[l][clusterOf[l][e]][fill[clusterOf[l][e]]++] = e;
            int[] rank = permutation(experts, rnd);
            for (int e = 0; e < experts; e++) pop[l][e] = Math.pow(rank[e] + 1, -o.zipf());
        }
        int[] data = new int[windows * tokensPerWindow * layers * k];
        boolean[] taken = new boolean[experts];
        double[] clusterMass = new double[clusters];
        int pos = 0;
        for (int w = 0; w < windows; w++) {
            if (w > 0) drift(pop, o.drift(), rnd);
            for (int t = 0; t < tokensPerWindow; t++) {
                int topic = -1;
                for (int l = 0; l < layers; l++) {
                    double[] p = pop[l];
                    if (topic < 0 || rnd.nextDouble() >= o.topicPersistence()) {
                        // a fresh topic, drawn by how popular each cluster is
                        java.util.Arrays.fill(clusterMass, 0);
                        for (int e = 0; e < experts; e++) clusterMass[clusterOf[l][e]] += p[e];
                        topic = draw(clusterMass, clusters, rnd);
                    }
                    int[] mine = members[l][Math.min(topic, clusters - 1)];
                    for (int j = 0; j < k; j++) {
                        int e = rnd.nextDouble() < o.affinity() ? drawFrom(mine, p, taken, rnd) : -1;
                        if (e < 0) e = drawAny(p, taken, rnd);
                        taken[e] = true;
                        data[pos++] = e;
                    }
                    for (int j = 1; j <= k; j++) taken[data[pos - j]] = false;
                }
            }
        }
        return new RoutingTrace(layers, experts, k, data);
    }

    private static void drift(double[][] pop, double sigma, SplittableRandom rnd) {
        for (double[] p : pop) {
            for (int e = 0; e < p.length; e++) p[e] *= Math.exp(sigma * gaussian(rnd));
        }
    }

    private static double gaussian(SplittableRandom rnd) { // Box-Muller; SplittableRandom has no nextGaussian
        double u = 1.0 - rnd.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rnd.nextDouble());
    }

    private static int draw(double[] mass, int n, SplittableRandom rnd) {
        double total = 0;
        for (int i = 0; i < n; i++) total += mass[i];
        double x = rnd.nextDouble() * total;
        for (int i = 0; i < n; i++) {
            x -= mass[i];
            if (x < 0) return i;
        }
        return n - 1;
    }

    /** A not-yet-taken member of the cluster, by popularity; -1 when all are taken. */
    private static int drawFrom(int[] members, double[] p, boolean[] taken, SplittableRandom rnd) {
        double total = 0;
        for (int e : members) if (!taken[e]) total += p[e];
        if (total <= 0) return -1;
        double x = rnd.nextDouble() * total;
        int last = -1;
        for (int e : members) {
            if (taken[e]) continue;
            last = e;
            x -= p[e];
            if (x < 0) return e;
        }
        return last;
    }

    private static int drawAny(double[] p, boolean[] taken, SplittableRandom rnd) {
        double total = 0;
        for (int e = 0; e < p.length; e++) if (!taken[e]) total += p[e];
        double x = rnd.nextDouble() * total;
        int last = -1;
        for (int e = 0; e < p.length; e++) {
            if (taken[e]) continue;
            last = e;
            x -= p[e];
            if (x < 0) return e;
        }
        return last;
    }

    private static int[] permutation(int n, SplittableRandom rnd) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) a[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
        return a;
    }
}
