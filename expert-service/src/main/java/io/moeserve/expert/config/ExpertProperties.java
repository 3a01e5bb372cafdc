package io.moeserve.expert.config;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.nio.file.Path;
import java.time.Duration;

/**
 * The settings of one expert-service instance ({@code moeserve.expert.*}).
 *
 * @param instanceId        this instance's id in the placement plan (e.g. {@code expert-1})
 * @param partition         its moe.dispatch partition; -1 = the one the plan gives the instance
 * @param modelDir          Hugging Face model directory (only this instance's experts are mapped)
 * @param int8              quantize the held experts to int8 (less memory; results no longer bit-exact)
 * @param plan              where the start-up plan comes from
 * @param kafka             broker and client settings
 * @param perExpertMetrics  publish token counters per (layer, expert); off for models with many experts
 * @param unloadGrace       how long experts dropped by a new plan stay loaded (in-flight steps of the old plan)
 * @param membership        what this instance tells the planner, and how it leaves
 */
@ConfigurationProperties("moeserve.expert")
public record ExpertProperties(
        @DefaultValue("expert-0") String instanceId,
        @DefaultValue("-1") int partition,
        @DefaultValue("models/tiny-moe") Path modelDir,
        @DefaultValue("false") boolean int8,
        @DefaultValue Plan plan,
        @DefaultValue Kafka kafka,
        @DefaultValue("false") boolean perExpertMetrics,
        @DefaultValue("30s") Duration unloadGrace,
        @DefaultValue Membership membership) {

    /**
     * @param heartbeatInterval how often it says it is here (the planner's membership)
     * @param memory            room for expert weights the planner may use on this instance
     * @param speed             relative compute speed the planner weighs its load by
     * @param drainTimeout      on stop, how long to keep serving while waiting for an active plan that
     *                          no longer names this instance (only when a planner is publishing plans)
     * @param drainLinger       after that plan is active, how long to keep serving steps still in flight
     */
    public record Membership(@DefaultValue("2s") Duration heartbeatInterval,
                             @DefaultValue("8GB") org.springframework.util.unit.DataSize memory,
                             @DefaultValue("1.0") double speed,
                             @DefaultValue("20s") Duration drainTimeout,
                             @DefaultValue("2s") Duration drainLinger) {
    }

    /**
     * @param file               a placement plan JSON file; when empty a round-robin plan is generated
     * @param roundRobinInstances instances of the generated round-robin plan ({@code expert-0..N-1} on partitions 0..N-1)
     */
    public record Plan(Path file, @DefaultValue("2") int roundRobinInstances) {
    }

    /**
     * @param bootstrapServers broker list
     * @param pollTimeout      dispatch poll timeout: short, so stopping and plan switches are prompt
     * @param fetchMaxWait     fetch.max.wait.ms: how long the broker may park an empty fetch
     * @param commitInterval   how often processed offsets are committed (consumer lag for autoscaling)
     * @param createTopics     create/grow the moeserve topics at start (off where an operator owns them)
     * @param listenForPlans   consume moe.placement and adopt newer plans
     */
    public record Kafka(@DefaultValue("127.0.0.1:9092") String bootstrapServers,
                        @DefaultValue("10ms") Duration pollTimeout,
                        @DefaultValue("20ms") Duration fetchMaxWait,
                        @DefaultValue("1s") Duration commitInterval,
                        @DefaultValue("true") boolean createTopics,
                        @DefaultValue("true") boolean listenForPlans) {
    }
}
