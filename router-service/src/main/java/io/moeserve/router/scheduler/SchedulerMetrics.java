package io.moeserve.router.scheduler;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The scheduler's metrics under vLLM's names (labelled model_name) so that existing vLLM dashboards
 * work against moeserve unchanged.
 */
public final class SchedulerMetrics {
    private final MeterRegistry registry;
    private final String model;
    private final Timer ttft, itl, e2e, queue, step;
    private final Counter promptTokens, generationTokens, rejected;
    private final DistributionSummary stepSequences;

    public SchedulerMetrics(MeterRegistry registry, String model) {
        this.registry = registry;
        this.model = model;
        ttft = latency("vllm:time_to_first_token_seconds", "Time to first token");
        itl = latency("vllm:inter_token_latency_seconds", "Time between consecutive output tokens");
        e2e = latency("vllm:e2e_request_latency_seconds", "End-to-end request latency");
        queue = latency("vllm:request_queue_time_seconds", "Time requests spent waiting for a batch slot");
        step = latency("moeserve:step_seconds", "Duration of one scheduler step (all layers)");
        promptTokens = Counter.builder("vllm:prompt_tokens").description("Prefilled prompt tokens").tag("model_name", model).register(registry);
        generationTokens = Counter.builder("vllm:generation_tokens").description("Generated tokens").tag("model_name", model).register(registry);
        rejected = Counter.builder("moeserve:requests_rejected").description("Requests refused because the queue was full")
                .tag("model_name", model).register(registry);
        stepSequences = DistributionSummary.builder("moeserve:step_sequences").description("Sequences per step")
                .tag("model_name", model).register(registry);
    }

    private Timer latency(String name, String description) {
        return Timer.builder(name).description(description).tag("model_name", model)
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(120)).register(registry);
    }

    void bindQueues(Supplier<Number> waiting, Supplier<Number> running) {
        Gauge.builder("vllm:num_requests_waiting", waiting).description("Requests waiting for a batch slot")
                .tag("model_name", model).register(registry);
        Gauge.builder("vllm:num_requests_running", running).description("Requests in the running batch")
                .tag("model_name", model).register(registry);
    }

    void timeToFirstToken(long nanos) {
        ttft.record(nanos, TimeUnit.NANOSECONDS);
    }

    void interTokenLatency(long nanos) {
        itl.record(nanos, TimeUnit.NANOSECONDS);
    }

    void e2e(long nanos) {
        e2e.record(nanos, TimeUnit.NANOSECONDS);
    }

    void queueTime(long nanos) {
        queue.record(nanos, TimeUnit.NANOSECONDS);
    }

    void step(long nanos, int sequences) {
        step.record(nanos, TimeUnit.NANOSECONDS);
        stepSequences.record(sequences);
    }

    void promptTokens(int n) {
        promptTokens.increment(n);
    }

    void generationToken() {
        generationTokens.increment();
    }

    void rejected() {
        rejected.increment();
    }
}
