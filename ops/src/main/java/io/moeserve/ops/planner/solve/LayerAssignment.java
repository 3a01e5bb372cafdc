package io.moeserve.ops.planner.solve;

import java.util.Arrays;

/**
 * Hosts of every expert of one layer and the tokens each replica takes. The working form of all
 * solvers; {@link Plans#assemble} turns a layer array into a {@code PlacementPlan}.
 */
public final class LayerAssignment {

    final int[][] hosts;   // expert -> instances
    final long[][] tokens; // expert -> tokens per replica (sums to the expert's load)

    LayerAssignment(int experts) {
        hosts = new int[experts][0];
        tokens = new long[experts][0];
    }

    LayerAssignment copy() {
        LayerAssignment c = new LayerAssignment(hosts.length);
        for (int e = 0; e < hosts.length; e++) {
            c.hosts[e] = hosts[e].clone();
            c.tokens[e] = tokens[e].clone();
        }
        return c;
    }

    void set(int expert, int[] instances, long[] tok) {
        hosts[expert] = instances;
        tokens[expert] = tok;
    }

    /** Adds a replica of {@code expert} on {@code instance} carrying {@code tok} tokens. */
    void add(int expert, int instance, long tok) {
        for (int r = 0; r < hosts[expert].length; r++) {
            if (hosts[expert][r] == instance) { // merge: one instance never holds two copies
                tokens[expert][r] += tok;
                return;
            }
        }
        hosts[expert] = Arrays.copyOf(hosts[expert], hosts[expert].length + 1);
        tokens[expert] = Arrays.copyOf(tokens[expert], tokens[expert].length + 1);
        hosts[expert][hosts[expert].length - 1] = instance;
        tokens[expert][tokens[expert].length - 1] = tok;
    }

    boolean hosts(int expert, int instance) {
        for (int i : hosts[expert]) {
            if (i == instance) return true;
        }
        return false;
    }

    long[] instanceLoads(int instances) {
        long[] l = new long[instances];
        for (int e = 0; e < hosts.length; e++) {
            for (int r = 0; r < hosts[e].length; r++) l[hosts[e][r]] += tokens[e][r];
        }
        return l;
    }
}
