package io.moeserve.router.dispatch;

import io.moeserve.core.wire.WireDType;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Dispatch over Kafka ({@code moeserve.router.dispatch.*}), used when {@code moeserve.router.experts=kafka}.
 *
 * @param bootstrapServers    broker list
 * @param routerId            this router's moe.combine partition (unique per router replica)
 * @param deadline            time one instance may take to answer one dispatch before failover
 * @param dtype               F32 (exact, default) or BF16 (half the bytes, no longer bit-exact)
 * @param planFile            a placement plan JSON file; empty = round-robin over {@code roundRobinInstances}
 * @param roundRobinInstances instances of the generated start-up plan ({@code expert-0..N-1}, as the experts generate it)
 * @param createTopics        create/grow moeserve's topics to what the plan and router id need
 * @param followPlans         switch to each plan proposed on moe.placement once every instance acked it
 * @param breaker             per-instance circuit breaker
 */
@ConfigurationProperties("moeserve.router.dispatch")
public record DispatchProperties(
        @DefaultValue("127.0.0.1:9092") String bootstrapServers,
        @DefaultValue("0") int routerId,
        @DefaultValue("2s") Duration deadline,
        @DefaultValue("F32") WireDType dtype,
        Path planFile,
        @DefaultValue("2") int roundRobinInstances,
        @DefaultValue("true") boolean createTopics,
        @DefaultValue("true") boolean followPlans,
        @DefaultValue Breaker breaker) {

    /** See {@link KafkaExpertBackend.Settings.Breaker}. */
    public record Breaker(@DefaultValue("10") int slidingWindow, @DefaultValue("3") int minimumCalls,
                          @DefaultValue("50") float failureRatePercent, @DefaultValue("5s") Duration openWait) {
    }

    KafkaExpertBackend.Settings settings() {
        return new KafkaExpertBackend.Settings(bootstrapServers, routerId, deadline, dtype, Duration.ofMillis(20),
                new KafkaExpertBackend.Settings.Breaker(breaker.slidingWindow(), breaker.minimumCalls(),
                        breaker.failureRatePercent(), breaker.openWait()));
    }
}
