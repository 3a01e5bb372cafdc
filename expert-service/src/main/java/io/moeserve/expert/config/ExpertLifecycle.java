package io.moeserve.expert.config;

import io.moeserve.core.kafka.MoeTopics;
import io.moeserve.core.placement.InstanceSpec;
import io.moeserve.core.placement.PlacementPlan;
import io.moeserve.expert.plan.HeartbeatPublisher;
import io.moeserve.expert.plan.PlanListener;
import io.moeserve.expert.serve.DispatchLoop;
import io.moeserve.expert.serve.ExpertHost;
import io.moeserve.expert.serve.ExpertMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

import java.time.Duration;

/**
 * Starts serving once the context is up (topics, dispatch loop, plan listener, heartbeats) and, on
 * stop, leaves gracefully: announces LEAVING, keeps serving until the planner's next plan without
 * this instance is active (or a timeout), then stops before the beans it uses are closed.
 */
final class ExpertLifecycle implements SmartLifecycle {
    private static final Logger log = LoggerFactory.getLogger(ExpertLifecycle.class);

    private final ExpertProperties props;
    private final PlacementPlan startupPlan;
    private final DispatchLoop loop;
    private final ExpertHost host;
    private final ExpertMetrics metrics;
    private volatile boolean running;
    private PlanListener plans;
    private HeartbeatPublisher heartbeats;

    ExpertLifecycle(ExpertProperties props, PlacementPlan startupPlan, DispatchLoop loop, ExpertHost host, ExpertMetrics metrics) {
        this.props = props;
        this.startupPlan = startupPlan;
        this.loop = loop;
        this.host = host;
        this.metrics = metrics;
    }

    @Override
    public void start() {
        var k = props.kafka();
        if (k.createTopics()) {
            int maxPartition = startupPlan.instances().stream().mapToInt(InstanceSpec::partition).max().orElse(0);
            MoeTopics.ensure(k.bootstrapServers(), Math.max(maxPartition, loop.partition()) + 1, 1);
        }
        loop.start(Duration.ofSeconds(60));
        if (k.listenForPlans()) {
            plans = new PlanListener(k.bootstrapServers(), host, metrics).start();
            var m = props.membership();
            heartbeats = new HeartbeatPublisher(k.bootstrapServers(), host,
                    new HeartbeatPublisher.Offer(loop.partition(), m.memory().toBytes(), m.speed()), m.heartbeatInterval());
        }
        running = true;
    }

    @Override
    public void stop() {
        if (heartbeats != null) {
            heartbeats.leave();
            drain();
        }
        if (plans != null) plans.close();
        if (heartbeats != null) heartbeats.close();
        loop.close();
        running = false;
    }

    /** Serves on until routers stop sending here; without a planner there is nobody to wait for. */
    private void drain() {
        var m = props.membership();
        PlacementPlan proposed = plans.proposed();
        if (m.drainTimeout().isZero() || proposed == null || proposed.version() <= startupPlan.version()) return;
        long deadline = System.nanoTime() + m.drainTimeout().toNanos();
        while (System.nanoTime() < deadline) {
            PlacementPlan active = plans.active();
            if (active != null && active.instance(host.instanceId()) == null) {
                log.info("instance {} is out of active plan v{}; serving in-flight steps for {}", host.instanceId(), active.version(),
                        m.drainLinger());
                sleep(m.drainLinger().toMillis());
                return;
            }
            sleep(100);
        }
        log.warn("instance {} stops without a plan that excludes it after {}: routers fail over", host.instanceId(), m.drainTimeout());
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }
}
