package io.moeserve.core.wire;

/**
 * Names of every Kafka topic moeserve uses (DESIGN.md §4), so no service spells one on its own.
 * Partitioning is part of the contract: {@link #DISPATCH} has one partition per expert-service
 * instance (its {@code InstanceSpec.partition}), {@link #COMBINE} one per router replica (its
 * router id).
 */
public final class Topics {
    /** Router → expert instance: binary {@link DispatchMessage}s, partition = instance partition. */
    public static final String DISPATCH = "moe.dispatch";
    /** Expert instance → router: binary {@link CombineMessage}s, partition = router id. */
    public static final String COMBINE = "moe.combine";
    /** Router → planner: per-window routing statistics (JSON). */
    public static final String ROUTING_STATS = "moe.routing-stats";
    /** Planner → everybody: placement plans as JSON, compacted, keyed by {@link #PLAN_KEY}. */
    public static final String PLACEMENT = "moe.placement";
    /** Expert instance → planner/router: {@link PlanAck} JSON once a proposed plan's experts are loaded. */
    public static final String PLACEMENT_ACKS = "moe.placement-acks";

    /** Expert instance → planner: {@link Heartbeat} JSON every few seconds, keyed by instance id (compacted). */
    public static final String HEARTBEATS = "moe.heartbeats";

    /** Record key of plans on {@link #PLACEMENT}: compaction keeps only the newest plan. */
    public static final String PLAN_KEY = "plan";

    private Topics() {
    }
}
