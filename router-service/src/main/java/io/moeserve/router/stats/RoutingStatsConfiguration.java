package io.moeserve.router.stats;

import io.moeserve.core.checkpoint.Checkpoint;
import io.moeserve.router.dispatch.DispatchProperties;
import io.moeserve.router.dispatch.KafkaExpertBackend;
import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Primary;

/** Puts the recorder in front of the Kafka expert backend and publishes its windows. */
@Configuration
@ConditionalOnExpression("'${moeserve.router.experts:local}' == 'kafka' and ${moeserve.router.routing-stats.enabled:true}")
public class RoutingStatsConfiguration {

    @Bean
    @Primary
    RoutingStatsRecorder routingStatsRecorder(KafkaExpertBackend backend, DispatchProperties dispatch, Checkpoint checkpoint) {
        var c = checkpoint.config();
        return new RoutingStatsRecorder(backend, dispatch.routerId(), c.numLayers(), c.numExperts(), c.topK());
    }

    @Bean(destroyMethod = "close")
    RoutingStatsPublisher routingStatsPublisher(RoutingStatsRecorder recorder, DispatchProperties dispatch, RoutingStatsProperties props) {
        return new RoutingStatsPublisher(recorder, dispatch.bootstrapServers(), dispatch.routerId(), props.window());
    }
}
