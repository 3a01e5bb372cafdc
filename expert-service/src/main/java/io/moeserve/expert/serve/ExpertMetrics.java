package io.moeserve.expert.serve;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.moeserve.core.wire.CombineMessage;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The instance's Micrometer meters (Prometheus names in brackets): tokens per (layer, expert)
 * [moeserve_expert_tokens_total], compute time per message [moeserve_expert_compute_seconds],
 * messages by status [moeserve_expert_messages_total], the active plan version
 * [moeserve_expert_plan_version], held experts and bytes, and rejected wire messages
 * [moeserve_wire_rejected_total{reason}].
 */
public final class ExpertMetrics {
    private final MeterRegistry registry;
    private final String instance;
    private final boolean perExpert;
    private final Counter[][] tokens;
    private final Counter tokensTotal;
    private final Timer compute;
    private final Map<CombineMessage.Status, Counter> messages = new EnumMap<>(CombineMessage.Status.class);
    private final Map<String, Counter> rejected = new ConcurrentHashMap<>();

    public ExpertMetrics(MeterRegistry registry, String instance, int layers, int experts, boolean perExpert) {
        this.registry = registry;
        this.instance = instance;
        this.perExpert = perExpert;
        this.tokens = new Counter[layers][experts];
        tokensTotal = Counter.builder("moeserve.expert.dispatched.tokens").description("token-expert pairs computed")
                .tag("instance", instance).register(registry);
        compute = Timer.builder("moeserve.expert.compute").description("expert compute time of one dispatch message")
                .tag("instance", instance).publishPercentiles(0.5, 0.99).publishPercentileHistogram().register(registry);
        for (CombineMessage.Status s : CombineMessage.Status.values()) {
            messages.put(s, Counter.builder("moeserve.expert.messages").description("dispatch messages answered, by reply status")
                    .tag("instance", instance).tag("status", s.name().toLowerCase()).register(registry));
        }
    }

    private final java.util.concurrent.atomic.AtomicLong lag = new java.util.concurrent.atomic.AtomicLong();

    /** The dispatch partition's backlog as last seen by the poll loop. */
    public void lag(long messages) {
        lag.set(messages);
    }

    /** Gauges read from the host (plan version, held experts and bytes). */
    public void bindHost(ExpertHost host) {
        gauge("moeserve.expert.plan.version", "version of the active placement plan", () -> host.plan().version());
        gauge("moeserve.expert.held.experts", "experts loaded in this instance", () -> host.experts().heldKeys().size());
        gauge("moeserve.expert.dispatch.lag", "messages waiting in this instance's moe.dispatch partition", lag::get);
        gauge("moeserve.expert.held.bytes", "bytes of expert weights loaded in this instance", () -> host.experts().heldBytes());
    }

    private void gauge(String name, String description, Supplier<Number> value) {
        Gauge.builder(name, value).description(description).tag("instance", instance).register(registry);
    }

    private final java.util.Map<Integer, io.micrometer.core.instrument.Counter> layers = new java.util.concurrent.ConcurrentHashMap<>();

    /** Token-expert pairs per layer: always on (one series per layer), feeds the layer x instance heatmap. */
    private io.micrometer.core.instrument.Counter layerCounter(int layer) {
        return layers.computeIfAbsent(layer, l -> io.micrometer.core.instrument.Counter.builder("moeserve.expert.layer.tokens")
                .description("token-expert pairs computed, per layer").tag("instance", instance)
                .tag("layer", String.valueOf(l)).register(registry));
    }

    /** Counts the token-expert pairs of one message (slots with expert >= 0). */
    public void tokens(int layer, int[] experts) {
        int n = 0;
        for (int e : experts) {
            if (e < 0) continue;
            n++;
            if (perExpert && layer < tokens.length && e < tokens[layer].length) expertCounter(layer, e).increment();
        }
        tokensTotal.increment(n);
        if (n > 0) layerCounter(layer).increment(n);
    }

    private Counter expertCounter(int layer, int expert) {
        Counter c = tokens[layer][expert];
        if (c == null) {
            c = Counter.builder("moeserve.expert.tokens").description("tokens computed per (layer, expert)")
                    .tag("instance", instance).tag("layer", String.valueOf(layer)).tag("expert", String.valueOf(expert))
                    .register(registry);
            tokens[layer][expert] = c;
        }
        return c;
    }

    public Timer computeTimer() {
        return compute;
    }

    public void answered(CombineMessage.Status status) {
        messages.get(status).increment();
    }

    /** A message that could not be decoded (or handled); {@code reason} is a short label. */
    public void rejected(String reason) {
        rejected.computeIfAbsent(reason, r -> Counter.builder("moeserve.wire.rejected")
                .description("Kafka messages rejected as malformed or of an unknown version")
                .tag("reason", r).tag("instance", instance).register(registry)).increment();
    }

    public double rejectedCount(String reason) {
        Counter c = rejected.get(reason);
        return c == null ? 0 : c.count();
    }
}
