package io.moeserve.core.placement;

import java.util.Objects;

/**
 * One expert-service instance as the plan sees it.
 *
 * @param id          stable name of the instance (e.g. {@code expert-3})
 * @param partition   its {@code moe.dispatch} partition; unique within a plan
 * @param memoryBytes memory it may spend on expert weights
 * @param speed       relative compute speed (1.0 = reference); time of a layer on it = tokens / speed
 * @param zone        failure/network zone, informational for now ({@code ""} when unknown)
 */
public record InstanceSpec(String id, int partition, long memoryBytes, double speed, String zone) {

    public InstanceSpec {
        Objects.requireNonNull(id, "instance id");
        zone = zone == null ? "" : zone;
    }

    /** An instance with the reference speed and no zone. */
    public static InstanceSpec of(String id, int partition, long memoryBytes) {
        return new InstanceSpec(id, partition, memoryBytes, 1.0, "");
    }
}
