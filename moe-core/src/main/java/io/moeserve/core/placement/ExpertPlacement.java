package io.moeserve.core.placement;

import java.util.List;
import java.util.Objects;

/** Where one (layer, expert) lives: one replica or more, each with its share of the expert's tokens. */
public record ExpertPlacement(int layer, int expert, List<Replica> replicas) {

    public ExpertPlacement {
        replicas = List.copyOf(Objects.requireNonNull(replicas, "replicas"));
    }

    /** A placement on a single instance that takes all of the expert's tokens. */
    public static ExpertPlacement single(int layer, int expert, String instance) {
        return new ExpertPlacement(layer, expert, List.of(new Replica(instance, 1.0)));
    }

    public ExpertId id() {
        return new ExpertId(layer, expert);
    }

    /** True when one of the replicas is on {@code instanceId}. */
    public boolean hostedOn(String instanceId) {
        for (Replica r : replicas) {
            if (r.instance().equals(instanceId)) return true;
        }
        return false;
    }
}
