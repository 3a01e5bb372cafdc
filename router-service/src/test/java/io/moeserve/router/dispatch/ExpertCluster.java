package io.moeserve.router.dispatch;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.moeserve.core.checkpoint.Checkpoint;
import io.moeserve.core.placement.InstanceSpec;
import io.moeserve.core.placement.PlacementPlan;
import io.moeserve.expert.serve.DispatchLoop;
import io.moeserve.expert.serve.ExpertHost;
import io.moeserve.expert.serve.ExpertMetrics;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/** Real expert-service instances (host + dispatch loop, as the service runs them) in this JVM, one per plan instance. */
final class ExpertCluster implements AutoCloseable {
    private final Map<String, DispatchLoop> loops = new LinkedHashMap<>();
    private final Map<String, ExpertHost> hosts = new LinkedHashMap<>();

    /** Starts every instance of {@code hostsPlan}, each holding what that plan gives it. */
    static ExpertCluster start(String bootstrap, Checkpoint ckpt, PlacementPlan hostsPlan) {
        ExpertCluster c = new ExpertCluster();
        for (InstanceSpec i : hostsPlan.instances()) {
            ExpertHost h = new ExpertHost(i.id(), ckpt, false, hostsPlan, Duration.ofSeconds(30));
            ExpertMetrics m = new ExpertMetrics(new SimpleMeterRegistry(), i.id(), hostsPlan.numLayers(), hostsPlan.numExperts(), false);
            c.hosts.put(i.id(), h);
            c.loops.put(i.id(), new DispatchLoop(DispatchLoop.Settings.of(bootstrap, i.partition()), h, m).start(Duration.ofSeconds(60)));
        }
        return c;
    }

    /** Stops one instance as a crash would: it answers nothing more. */
    void stop(String instance) {
        loops.get(instance).close();
    }

    @Override
    public void close() {
        loops.values().forEach(DispatchLoop::close);
        hosts.values().forEach(ExpertHost::close);
    }
}
