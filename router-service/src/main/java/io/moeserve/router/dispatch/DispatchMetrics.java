package io.moeserve.router.dispatch;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Meters of the dispatch path (Prometheus names in brackets): round trip per instance, send to
 * reply [moeserve_dispatch_rtt_seconds{instance}], failovers [moeserve_dispatch_failovers_total
 * {instance, reason, target}], replies that came after their part was settled
 * [moeserve_dispatch_late_replies_total], undecodable replies [moeserve_wire_rejected_total{reason}].
 */
public final class DispatchMetrics {
    private final MeterRegistry registry;
    private final String router;
    private final Map<String, Timer> rtt = new ConcurrentHashMap<>();
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();
    private final Counter late;

    public DispatchMetrics(MeterRegistry registry, int routerId) {
        this.registry = registry;
        this.router = "router-" + routerId;
        late = Counter.builder("moeserve.dispatch.late.replies").description("replies for parts already settled (timed out, failed over)")
                .tag("router", router).register(registry);
    }

    private final Map<Integer, Timer> straggler = new java.util.concurrent.ConcurrentHashMap<>();

    /** Time from a layer's dispatch to the last instance's reply (the layer's straggler). */
    public Timer straggler(int layer) {
        return straggler.computeIfAbsent(layer, l -> Timer.builder("moeserve.dispatch.straggler")
                .description("per layer step: dispatch send to the slowest instance's reply")
                .tag("router", router).tag("layer", String.valueOf(l))
                .publishPercentileHistogram().register(registry));
    }

    /** The plan version this router dispatches by. */
    public void planVersion(java.util.function.Supplier<Number> version) {
        io.micrometer.core.instrument.Gauge.builder("moeserve.dispatch.plan.version", version)
                .description("placement plan version the router dispatches by").tag("router", router).register(registry);
    }

    /** Send-to-reply time of dispatches answered by {@code instance}. */
    public Timer rtt(String instance) {
        return rtt.computeIfAbsent(instance, i -> Timer.builder("moeserve.dispatch.rtt")
                .description("dispatch round trip: send on moe.dispatch to reply on moe.combine")
                .tag("router", router).tag("instance", i)
                .publishPercentiles(0.5, 0.99).publishPercentileHistogram().register(registry));
    }

    void failover(String instance, String reason, String target) {
        counter("moeserve.dispatch.failovers", "dispatch parts re-sent to a replica or computed locally",
                "instance", instance, "reason", reason, "target", target).increment();
    }

    void rejected(String reason) {
        counter("moeserve.wire.rejected", "Kafka messages rejected as malformed or of an unknown version",
                "instance", router, "reason", reason).increment();
    }

    void lateReply() {
        late.increment();
    }

    public double failovers(String reason, String target) {
        return registry.find("moeserve.dispatch.failovers").tag("reason", reason).tag("target", target).counters()
                .stream().mapToDouble(Counter::count).sum();
    }

    public double rejectedCount(String reason) {
        Counter c = registry.find("moeserve.wire.rejected").tag("instance", router).tag("reason", reason).counter();
        return c == null ? 0 : c.count();
    }

    public double lateReplies() {
        return late.count();
    }

    private Counter counter(String name, String description, String... tags) {
        String key = name + String.join(",", tags);
        return counters.computeIfAbsent(key, k -> Counter.builder(name).description(description).tags(tags).register(registry));
    }
}
