package io.moeserve.router.api;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.moeserve.router.scheduler.Scheduler;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

import java.util.Map;

/**
 * {@code GET /health} (200 once the model is loaded, which this bean's existence proves: it is
 * created after the model and scheduler) and {@code GET /metrics}, the Prometheus scrape at vLLM's
 * path (the same as {@code /actuator/prometheus}).
 */
@RestController
public class ServiceController {
    private static final MediaType PROMETHEUS_TEXT = MediaType.parseMediaType("text/plain;version=0.0.4;charset=utf-8");

    private final ServedModels models;
    private final Scheduler scheduler;
    private final ObjectProvider<PrometheusMeterRegistry> prometheus;

    public ServiceController(ServedModels models, Scheduler scheduler, ObjectProvider<PrometheusMeterRegistry> prometheus) {
        this.models = models;
        this.scheduler = scheduler;
        this.prometheus = prometheus;
    }

    @GetMapping("/health")
    public ResponseEntity<byte[]> health() {
        return ApiJson.ok(Map.of("status", "ok", "model", models.all().getFirst().modelId(),
                "running", scheduler.runningCount(), "waiting", scheduler.waitingCount()));
    }

    @GetMapping("/metrics")
    public ResponseEntity<String> metrics() {
        PrometheusMeterRegistry registry = prometheus.getIfAvailable();
        if (registry == null) throw ApiException.of(io.moeserve.core.api.OpenAiError.notFound("metrics are not enabled"));
        return ResponseEntity.ok().contentType(PROMETHEUS_TEXT).body(registry.scrape());
    }
}
