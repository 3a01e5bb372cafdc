package io.moeserve.core.placement;

import java.util.Objects;

/**
 * One copy of an expert: the instance that holds it and the share of the expert's tokens it takes.
 * The shares of one expert's replicas sum to 1.
 */
public record Replica(String instance, double share) {

    public Replica {
        Objects.requireNonNull(instance, "replica instance");
    }
}
