package io.moeserve.core.placement;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * A versioned placement plan: which expert-service instance holds which (layer, expert), with
 * replicas and token shares. The router, the expert services and the planner all read this one
 * shape ({@link PlacementPlans} reads and writes it as JSON); a higher {@code version} replaces a
 * lower one.
 *
 * <p>Placements are kept sorted by (layer, expert) so that a complete plan answers
 * {@link #replicas(int, int)} by index.
 */
public record PlacementPlan(long version, String modelId, int numLayers, int numExperts,
                            List<InstanceSpec> instances, List<ExpertPlacement> placements) {

    /** Tolerance on the sum of one expert's shares. */
    public static final double SHARE_TOLERANCE = 1e-6;

    private static final Comparator<ExpertPlacement> ORDER =
            Comparator.comparingInt(ExpertPlacement::layer).thenComparingInt(ExpertPlacement::expert);

    public PlacementPlan {
        modelId = modelId == null ? "" : modelId;
        instances = List.copyOf(Objects.requireNonNull(instances, "instances"));
        List<ExpertPlacement> sorted = new ArrayList<>(Objects.requireNonNull(placements, "placements"));
        sorted.sort(ORDER);
        placements = List.copyOf(sorted);
    }

    /** The same plan under another version number. */
    public PlacementPlan withVersion(long newVersion) {
        return new PlacementPlan(newVersion, modelId, numLayers, numExperts, instances, placements);
    }

    /** The placement of one (layer, expert), or {@code null} when the plan does not place it. */
    public ExpertPlacement placement(int layer, int expert) {
        int dense = layer * numExperts + expert;
        if (layer >= 0 && expert >= 0 && expert < numExperts && dense < placements.size()) {
            ExpertPlacement p = placements.get(dense);
            if (p.layer() == layer && p.expert() == expert) return p; // complete plans hit here
        }
        int lo = 0;
        int hi = placements.size() - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            ExpertPlacement p = placements.get(mid);
            int c = p.layer() != layer ? Integer.compare(p.layer(), layer) : Integer.compare(p.expert(), expert);
            if (c == 0) return p;
            if (c < 0) lo = mid + 1;
            else hi = mid - 1;
        }
        return null;
    }

    /** The replicas of one (layer, expert); empty when it is not placed. */
    public List<Replica> replicas(int layer, int expert) {
        ExpertPlacement p = placement(layer, expert);
        return p == null ? List.of() : p.replicas();
    }

    /** Every (layer, expert) that {@code instanceId} must hold, in (layer, expert) order. */
    public Set<ExpertId> expertsOf(String instanceId) {
        Set<ExpertId> out = new TreeSet<>();
        for (ExpertPlacement p : placements) {
            if (p.hostedOn(instanceId)) out.add(p.id());
        }
        return out;
    }

    /** The instance named {@code id}, or {@code null}. */
    public InstanceSpec instance(String id) {
        for (InstanceSpec i : instances) {
            if (i.id().equals(id)) return i;
        }
        return null;
    }

    /** Number of expert copies (replicas) the plan puts on each instance, by instance id. */
    public Map<String, Integer> replicaCounts() {
        Map<String, Integer> counts = new HashMap<>();
        for (InstanceSpec i : instances) counts.put(i.id(), 0);
        for (ExpertPlacement p : placements) {
            for (Replica r : p.replicas()) counts.merge(r.instance(), 1, Integer::sum);
        }
        return counts;
    }

    /** Throws {@link InvalidPlanException} naming the first problem (and how many more there are). */
    public PlacementPlan validate() {
        List<String> problems = problems();
        if (!problems.isEmpty()) {
            String more = problems.size() > 1 ? " (and " + (problems.size() - 1) + " more problems)" : "";
            throw new InvalidPlanException("placement plan v" + version + ": " + problems.getFirst() + more, problems);
        }
        return this;
    }

    /**
     * Also checks memory: an instance must fit {@code expertBytes} per expert copy it holds.
     * Kept separate from {@link #validate()} because the plan itself does not know expert sizes.
     */
    public PlacementPlan validateMemory(long expertBytes) {
        validate();
        List<String> problems = new ArrayList<>();
        Map<String, Integer> counts = replicaCounts();
        for (InstanceSpec i : instances) {
            long need = counts.get(i.id()) * expertBytes;
            if (need > i.memoryBytes()) {
                problems.add("instance '" + i.id() + "' holds " + counts.get(i.id()) + " experts = " + need
                        + " bytes but has memoryBytes " + i.memoryBytes());
            }
        }
        if (!problems.isEmpty()) {
            throw new InvalidPlanException("placement plan v" + version + ": " + problems.getFirst(), problems);
        }
        return this;
    }

    /** Every structural problem of the plan, each a precise sentence; empty when the plan is valid. */
    public List<String> problems() {
        List<String> out = new ArrayList<>();
        if (numLayers <= 0) out.add("numLayers must be positive, got " + numLayers);
        if (numExperts <= 0) out.add("numExperts must be positive, got " + numExperts);
        if (instances.isEmpty()) out.add("no instances");
        Map<String, InstanceSpec> byId = new HashMap<>();
        Map<Integer, String> byPartition = new HashMap<>();
        for (InstanceSpec i : instances) {
            if (i.id().isBlank()) out.add("an instance has a blank id");
            if (byId.put(i.id(), i) != null) out.add("instance id '" + i.id() + "' appears twice");
            if (i.partition() < 0) out.add("instance '" + i.id() + "' has negative partition " + i.partition());
            String other = byPartition.put(i.partition(), i.id());
            if (other != null && !other.equals(i.id())) {
                out.add("instances '" + other + "' and '" + i.id() + "' share partition " + i.partition());
            }
            if (!(i.speed() > 0) || Double.isInfinite(i.speed())) {
                out.add("instance '" + i.id() + "' has speed " + i.speed() + " (must be > 0)");
            }
            if (i.memoryBytes() < 0) out.add("instance '" + i.id() + "' has negative memoryBytes");
        }
        if (numLayers <= 0 || numExperts <= 0) return out;
        boolean[] seen = new boolean[Math.multiplyExact(numLayers, numExperts)];
        for (ExpertPlacement p : placements) {
            String where = "layer " + p.layer() + " expert " + p.expert();
            if (p.layer() < 0 || p.layer() >= numLayers || p.expert() < 0 || p.expert() >= numExperts) {
                out.add(where + " is outside " + numLayers + " layers x " + numExperts + " experts");
                continue;
            }
            int k = p.layer() * numExperts + p.expert();
            if (seen[k]) out.add(where + " is placed twice");
            seen[k] = true;
            if (p.replicas().isEmpty()) {
                out.add(where + " has no replica");
                continue;
            }
            double sum = 0;
            Set<String> hosts = new HashSet<>();
            for (Replica r : p.replicas()) {
                if (!byId.containsKey(r.instance())) out.add(where + " names unknown instance '" + r.instance() + "'");
                if (!hosts.add(r.instance())) out.add(where + " has two replicas on instance '" + r.instance() + "'");
                if (!(r.share() >= 0) || r.share() > 1 + SHARE_TOLERANCE) {
                    out.add(where + " has share " + r.share() + " on '" + r.instance() + "' (must be in [0, 1])");
                }
                sum += r.share();
            }
            if (Math.abs(sum - 1.0) > SHARE_TOLERANCE) {
                out.add(where + " has shares summing to " + sum + " (must be 1 within " + SHARE_TOLERANCE + ")");
            }
        }
        for (int k = 0; k < seen.length; k++) {
            if (!seen[k]) out.add("layer " + k / numExperts + " expert " + k % numExperts + " is not placed");
        }
        return out;
    }
}
