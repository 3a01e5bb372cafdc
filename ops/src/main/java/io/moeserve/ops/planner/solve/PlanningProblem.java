package io.moeserve.ops.planner.solve;

import io.moeserve.core.placement.InstanceSpec;
import io.moeserve.core.placement.PlacementPlan;
import io.moeserve.ops.planner.stats.WindowStats;

import java.util.List;

/**
 * Everything a solver needs to place one model's experts: the statistics to plan for (expected
 * per window), the instances, the replica budget, expert sizes and the plan currently live.
 *
 * @param replicaSlots     extra expert copies allowed per layer, over all instances together
 *                         (DeepSeek's EPLB: 256 experts + 32 redundant = 288 per layer)
 * @param previous         the plan in force, for migration costs; {@code null} when there is none
 * @param timeLimitSeconds wall-clock budget of a solver that searches (the ILP)
 * @param threads          CPU threads a solver may use
 */
public record PlanningProblem(String modelId, long version, WindowStats stats, List<InstanceSpec> instances,
                              int replicaSlots, long expertBytes, PlacementPlan previous, CostWeights weights,
                              double timeLimitSeconds, int threads, long seed) {

    public PlanningProblem {
        instances = List.copyOf(instances);
        if (instances.isEmpty()) throw new IllegalArgumentException("no instances to place experts on");
        if (replicaSlots < 0) throw new IllegalArgumentException("--replicas must not be negative, got " + replicaSlots);
        if (expertBytes <= 0) throw new IllegalArgumentException("expert size must be positive, got " + expertBytes);
        if (previous != null && (previous.numLayers() != stats.layers() || previous.numExperts() != stats.experts())) {
            throw new IllegalArgumentException("previous plan has " + previous.numLayers() + " layers x "
                    + previous.numExperts() + " experts but the statistics have " + stats.layers() + " x " + stats.experts());
        }
    }

    public int layers() {
        return stats.layers();
    }

    public int experts() {
        return stats.experts();
    }

    /** Expert copies instance {@code i} can hold per layer: its memory split evenly over layers. */
    public int slotsPerLayer(int i) {
        long perLayer = instances.get(i).memoryBytes() / layers();
        return (int) Math.min(Integer.MAX_VALUE, perLayer / expertBytes);
    }

    /** Copies per layer in total: every expert once plus the replica slots, as far as memory allows. */
    public int physicalPerLayer() {
        long slots = 0;
        for (int i = 0; i < instances.size(); i++) slots += slotsPerLayer(i);
        if (slots < experts()) {
            throw new IllegalArgumentException("instances hold " + slots + " experts per layer in total but the model has "
                    + experts() + ": give them more memory or add instances");
        }
        return (int) Math.min(slots, experts() + (long) replicaSlots);
    }

    public PlanningProblem withPrevious(PlacementPlan plan, long newVersion) {
        return new PlanningProblem(modelId, newVersion, stats, instances, replicaSlots, expertBytes, plan, weights,
                timeLimitSeconds, threads, seed);
    }

    public PlanningProblem withStats(WindowStats s) {
        return new PlanningProblem(modelId, version, s, instances, replicaSlots, expertBytes, previous, weights,
                timeLimitSeconds, threads, seed);
    }
}
