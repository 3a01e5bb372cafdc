package io.moeserve.core.kafka;

import io.moeserve.core.wire.Topics;

import java.util.List;

/**
 * The one place that says how moeserve's topics are created: every service calls
 * {@link #ensure} at start (the broker does not auto-create topics), asking for the partitions it
 * needs; growing is safe, shrinking is never attempted. Control topics whose newest record per key is
 * all that matters (plans, acks, heartbeats) are compacted.
 */
public final class MoeTopics {
    private MoeTopics() {
    }

    /**
     * @param dispatchPartitions at least one per expert-service instance partition in use
     * @param combinePartitions  at least one per router id in use
     */
    public static void ensure(String bootstrapServers, int dispatchPartitions, int combinePartitions) {
        KafkaTopics.ensure(bootstrapServers, specs(dispatchPartitions, combinePartitions));
    }

    public static List<KafkaTopics.Spec> specs(int dispatchPartitions, int combinePartitions) {
        return List.of(
                KafkaTopics.Spec.of(Topics.DISPATCH, Math.max(1, dispatchPartitions)),
                KafkaTopics.Spec.of(Topics.COMBINE, Math.max(1, combinePartitions)),
                // Statistics are only useful while fresh: keep an hour.
                new KafkaTopics.Spec(Topics.ROUTING_STATS, 1, java.util.Map.of("retention.ms", "3600000")),
                KafkaTopics.Spec.compacted(Topics.PLACEMENT, 1),
                KafkaTopics.Spec.compacted(Topics.PLACEMENT_ACKS, 1),
                KafkaTopics.Spec.compacted(Topics.HEARTBEATS, 1));
    }
}
