package io.moeserve.router.dispatch;

import io.micrometer.core.instrument.MeterRegistry;
import io.moeserve.core.checkpoint.Checkpoint;
import io.moeserve.core.engine.LocalExperts;
import io.moeserve.core.kafka.MoeTopics;
import io.moeserve.core.kafka.PlacementFollower;
import io.moeserve.core.placement.InstanceSpec;
import io.moeserve.core.placement.PlacementPlan;
import io.moeserve.core.placement.PlacementPlans;
import io.moeserve.router.config.RouterProperties;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The Kafka expert backend, when {@code moeserve.router.experts=kafka}: start-up plan (file, or the
 * same round-robin plan the expert services generate), topics, a router-side {@link LocalExperts}
 * holding nothing until a failover needs an expert, and the follower that switches to each plan the
 * planner proposes once every instance has acked it.
 */
@Configuration
@ConditionalOnProperty(name = "moeserve.router.experts", havingValue = "kafka")
public class DispatchConfiguration {

    @Bean
    PlacementPlan startupPlacementPlan(DispatchProperties props, Checkpoint checkpoint, RouterProperties router) {
        if (props.planFile() != null && !props.planFile().toString().isBlank()) return PlacementPlans.read(props.planFile());
        var c = checkpoint.config();
        return PlacementPlans.roundRobin(router.modelDir().getFileName().toString(), c.numLayers(), c.numExperts(),
                PlacementPlans.uniformInstances(props.roundRobinInstances(), Long.MAX_VALUE));
    }

    @Bean(destroyMethod = "close")
    KafkaExpertBackend kafkaExpertBackend(DispatchProperties props, PlacementPlan startupPlacementPlan, Checkpoint checkpoint,
                                          RouterProperties router, MeterRegistry registry) {
        if (props.createTopics()) {
            int dispatch = startupPlacementPlan.instances().stream().mapToInt(InstanceSpec::partition).max().orElse(0) + 1;
            MoeTopics.ensure(props.bootstrapServers(), dispatch, props.routerId() + 1);
        }
        return new KafkaExpertBackend(props.settings(), startupPlacementPlan, new LocalExperts(checkpoint, router.int8Experts()),
                registry).start();
    }

    @Bean(destroyMethod = "close")
    @ConditionalOnProperty(name = "moeserve.router.dispatch.follow-plans", havingValue = "true", matchIfMissing = true)
    PlacementFollower placementFollower(DispatchProperties props, KafkaExpertBackend backend) {
        return new PlacementFollower(props.bootstrapServers(), "moe-router-" + props.routerId() + "-plans",
                backend.plan().version(), backend::offerPlan).start();
    }
}
