package io.moeserve.router.config;

import io.micrometer.core.instrument.MeterRegistry;
import io.moeserve.core.checkpoint.Checkpoint;
import io.moeserve.core.engine.ExpertBackend;
import io.moeserve.core.engine.LocalExperts;
import io.moeserve.router.model.ModelRuntime;
import io.moeserve.router.prefix.PrefixCache;
import org.springframework.beans.factory.ObjectProvider;
import io.moeserve.router.scheduler.Scheduler;
import io.moeserve.router.scheduler.SchedulerMetrics;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Loads the model and starts the scheduler. The expert backend is local (every expert in this
 * process: the monolithic engine behind the API) unless {@code moeserve.router.experts=kafka}, where
 * the dispatch package supplies the Kafka backend.
 */
@Configuration
public class EngineConfiguration {

    @Bean(destroyMethod = "close")
    Checkpoint checkpoint(RouterProperties props) {
        return Checkpoint.open(props.modelDir());
    }

    @Bean
    @ConditionalOnProperty(name = "moeserve.router.experts", havingValue = "local", matchIfMissing = true)
    ExpertBackend localExperts(Checkpoint checkpoint, RouterProperties props) {
        return LocalExperts.all(checkpoint, props.int8Experts());
    }

    @Bean
    ModelRuntime modelRuntime(RouterProperties props, Checkpoint checkpoint, ExpertBackend experts) {
        return ModelRuntime.create(props.modelId(), checkpoint, experts);
    }

    @Bean
    SchedulerMetrics schedulerMetrics(MeterRegistry registry, RouterProperties props) {
        return new SchedulerMetrics(registry, props.modelId());
    }

    @Bean(destroyMethod = "close")
    Scheduler scheduler(ModelRuntime model, RouterProperties props, SchedulerMetrics metrics,
                        ObjectProvider<PrefixCache> prefixCache) {
        boolean remote = !"local".equals(props.experts());
        return new Scheduler(model, props, remote && props.microBatches() ? 2 : 1, metrics,
                prefixCache.getIfAvailable());
    }
}
