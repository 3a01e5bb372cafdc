package io.moeserve.core.engine;

import java.util.concurrent.CompletableFuture;

/**
 * Computes a layer's sparse MoE block for routed tokens: out[i] = sum_j weight(i, j) * expert_j(hidden[i]).
 * In one process these are {@link LocalExperts}; in the distributed path the router sends them over
 * Kafka to expert services. Either way the engine's arithmetic around it is the same code.
 */
public interface ExpertBackend {
    /** Returns n x hiddenSize floats. */
    float[] compute(Routing routing);

    /**
     * The same, without blocking the caller: the router overlaps one lane's attention with
     * another's experts. Local experts compute on the calling thread and return a completed future.
     */
    default CompletableFuture<float[]> computeAsync(Routing routing) {
        try {
            return CompletableFuture.completedFuture(compute(routing));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * Called by the scheduler between steps, when no layer of any step is in flight: the distributed
     * backend switches to a newly activated placement plan here.
     */
    default void stepBoundary() {
    }

    /**
     * True while a new placement plan waits for {@link #stepBoundary()}: a scheduler that overlaps
     * steps then lets the steps in flight finish and starts no new one until it has called it.
     */
    default boolean planSwitchPending() {
        return false;
    }
}
