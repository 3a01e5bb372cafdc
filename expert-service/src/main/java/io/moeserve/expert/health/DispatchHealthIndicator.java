package io.moeserve.expert.health;

import io.moeserve.expert.serve.DispatchLoop;
import io.moeserve.expert.serve.ExpertHost;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.stereotype.Component;

/** UP while the dispatch loop polls its partition; the details say what this instance holds. */
@Component
public class DispatchHealthIndicator implements HealthIndicator {
    private final DispatchLoop loop;
    private final ExpertHost host;

    public DispatchHealthIndicator(DispatchLoop loop, ExpertHost host) {
        this.loop = loop;
        this.host = host;
    }

    @Override
    public Health health() {
        Health.Builder b = loop.isRunning() ? Health.up() : Health.down();
        if (loop.failure() != null) b.withDetail("error", loop.failure().toString());
        return b.withDetail("instance", host.instanceId())
                .withDetail("partition", loop.partition())
                .withDetail("planVersion", host.plan().version())
                .withDetail("heldExperts", host.experts().heldKeys().size())
                .withDetail("heldBytes", host.experts().heldBytes())
                .build();
    }
}
