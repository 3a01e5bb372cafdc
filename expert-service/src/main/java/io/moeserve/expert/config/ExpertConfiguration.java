package io.moeserve.expert.config;

import io.micrometer.core.instrument.MeterRegistry;
import io.moeserve.core.checkpoint.Checkpoint;
import io.moeserve.core.placement.InstanceSpec;
import io.moeserve.core.placement.PlacementPlan;
import io.moeserve.core.placement.PlacementPlans;
import io.moeserve.expert.serve.DispatchLoop;
import io.moeserve.expert.serve.ExpertHost;
import io.moeserve.expert.serve.ExpertMetrics;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;


/** Wires one instance: checkpoint → start-up plan → host (loads its experts) → dispatch loop + plan listener. */
@Configuration
public class ExpertConfiguration {

    @Bean(destroyMethod = "close")
    Checkpoint checkpoint(ExpertProperties props) {
        return Checkpoint.open(props.modelDir());
    }

    @Bean
    PlacementPlan startupPlan(ExpertProperties props, Checkpoint checkpoint) {
        if (props.plan().file() != null && !props.plan().file().toString().isBlank()) return PlacementPlans.read(props.plan().file());
        var c = checkpoint.config();
        return PlacementPlans.roundRobin(props.modelDir().getFileName().toString(), c.numLayers(), c.numExperts(),
                PlacementPlans.uniformInstances(props.plan().roundRobinInstances(), Long.MAX_VALUE));
    }

    @Bean(destroyMethod = "close")
    ExpertHost expertHost(ExpertProperties props, Checkpoint checkpoint, PlacementPlan startupPlan) {
        return new ExpertHost(props.instanceId(), checkpoint, props.int8(), startupPlan, props.unloadGrace());
    }

    @Bean
    ExpertMetrics expertMetrics(MeterRegistry registry, ExpertProperties props, ExpertHost host) {
        var c = host.config();
        ExpertMetrics m = new ExpertMetrics(registry, props.instanceId(), c.numLayers(), c.numExperts(), props.perExpertMetrics());
        m.bindHost(host);
        return m;
    }

    @Bean
    DispatchLoop dispatchLoop(ExpertProperties props, PlacementPlan startupPlan, ExpertHost host, ExpertMetrics metrics) {
        int partition = props.partition();
        if (partition < 0) {
            InstanceSpec me = startupPlan.instance(props.instanceId());
            if (me == null) {
                throw new IllegalStateException("instance '" + props.instanceId() + "' is not in the start-up plan (instances: "
                        + startupPlan.instances().stream().map(InstanceSpec::id).toList()
                        + "); set moeserve.expert.instance-id or moeserve.expert.partition");
            }
            partition = me.partition();
        }
        var k = props.kafka();
        return new DispatchLoop(new DispatchLoop.Settings(k.bootstrapServers(), partition, k.pollTimeout(), k.fetchMaxWait(),
                k.commitInterval()), host, metrics);
    }

    /** Starts serving once the context is up and stops before the beans it uses are closed. */
    @Bean
    SmartLifecycle dispatchLifecycle(ExpertProperties props, PlacementPlan startupPlan, DispatchLoop loop, ExpertHost host,
                                     ExpertMetrics metrics) {
        return new ExpertLifecycle(props, startupPlan, loop, host, metrics);
    }
}
