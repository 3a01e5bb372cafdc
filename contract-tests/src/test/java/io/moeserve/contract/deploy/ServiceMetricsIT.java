package io.moeserve.contract.deploy;

import io.moeserve.contract.support.Http;
import io.moeserve.contract.support.Stack;
import io.moeserve.contract.support.StackExtension;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;
import tools.jackson.databind.JsonNode;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The metrics of the running router and gateway (the contract tests' stack: monolithic router, so no
 * dispatch and no prefix cache) after real requests: every meter the catalog derives from the code of
 * the parts in use is in the live scrape under the name the catalog predicts, the counters moved, and
 * a real Prometheus with the shipped local configuration scrapes both and evaluates the rules.
 */
@ExtendWith(StackExtension.class)
class ServiceMetricsIT {
    static Stack stack;
    static Scrape router, gateway;

    @BeforeAll
    static void trafficThenScrape(Stack s) throws Exception {
        stack = s;
        for (int i = 0; i < 2; i++) {
            Http.Reply r = Http.post(s.gatewayV1() + "/chat/completions", s.apiKey,
                    "{\"model\":\"" + Stack.MODEL + "\",\"messages\":[{\"role\":\"user\",\"content\":\"In the beginning " + i
                            + "\"}],\"max_tokens\":4}");
            assertThat(r.status()).as(r.body()).isEqualTo(200);
        }
        router = Scrape.of(s.routerUrl() + ServiceModule.named("router-service").metricsPath());
        gateway = Scrape.of(s.gatewayUrl() + ServiceModule.named("gateway").metricsPath());
    }

    /** Catalog names of the meters declared in the given source files of a service. */
    static Set<String> catalogNames(String service, String... sourceFiles) {
        return MetricCatalog.of(List.of(ServiceModule.named(service))).meters().stream()
                .filter(m -> List.of(sourceFiles).contains(m.source().getFileName().toString()))
                .flatMap(m -> MetricCatalog.exportedNames(m).stream()).collect(Collectors.toSet());
    }

    @Test
    void routerExportsTheSchedulerMetersUnderTheNamesTheDashboardsUse() {
        Set<String> expected = catalogNames("router-service", "SchedulerMetrics.java");
        assertThat(expected).contains("vllm:time_to_first_token_seconds_bucket", "vllm:num_requests_running", "vllm:prompt_tokens_total");
        assertThat(router.names()).containsAll(expected);
        assertThat(router.sum("vllm:generation_tokens_total", "model_name=\"" + Stack.MODEL + "\"")).isGreaterThanOrEqualTo(2);
        assertThat(router.sum("vllm:time_to_first_token_seconds_count")).isGreaterThanOrEqualTo(2);
        assertThat(router.sum("vllm:e2e_request_latency_seconds_count")).isGreaterThanOrEqualTo(2);
        assertThat(router.sum("vllm:prompt_tokens_total")).isPositive();
    }

    @Test
    void gatewayExportsItsRequestMetersAndCountedTheRequests() {
        Set<String> expected = catalogNames("gateway", "RequestMetricsFilter.java", "RouterPool.java");
        assertThat(gateway.names()).containsAll(expected);
        assertThat(gateway.sum("moeserve_gateway_requests_total", "route=\"chat_completions\"", "status=\"200\"")).isGreaterThanOrEqualTo(2);
    }

    @Test
    void prometheusWithTheShippedLocalConfigScrapesBothAndEvaluatesTheRules(@TempDir Path tmp) throws Exception {
        Map<String, Object> config = new LinkedHashMap<>(DeployYaml.load(PrometheusConfigTest.DIR.resolve("prometheus-local.yml")));
        config.put("global", Map.of("scrape_interval", "1s", "evaluation_interval", "1s"));
        Map<String, String> ports = Map.of("router-service", hostPort(stack.routerUrl()), "gateway", hostPort(stack.gatewayUrl()));
        List<Object> jobs = DeployYaml.maps(config.get("scrape_configs")).stream().filter(j -> ports.containsKey(String.valueOf(j.get("job_name"))))
                .map(j -> {
                    Map<String, Object> copy = new LinkedHashMap<>(j);
                    copy.put("static_configs", List.of(Map.of("targets", List.of(ports.get(String.valueOf(j.get("job_name")))))));
                    return (Object) copy;
                }).toList();
        assertThat(jobs).hasSize(2);
        config.put("scrape_configs", jobs);
        try (PrometheusServer prometheus = PrometheusServer.start(new Yaml().dump(config), tmp)) {
            prometheus.awaitQuery("sum(up{job=~\"router-service|gateway\"})", r -> value(r) == 2, Duration.ofSeconds(30));
            JsonNode tokens = prometheus.awaitQuery("vllm:generation_tokens_total", r -> value(r) >= 2, Duration.ofSeconds(30));
            assertThat(tokens.get(0).path("metric").path("model_name").asString()).isEqualTo(Stack.MODEL);
            // recording rules run on the scraped series (rate over a static counter: present, zero)
            prometheus.awaitQuery("moeserve:requests:rate1m", r -> r.size() == 1, Duration.ofSeconds(30));
            prometheus.awaitQuery("moeserve:gateway_requests:rate1m{route=\"chat_completions\",status=\"200\"}", r -> r.size() == 1,
                    Duration.ofSeconds(30));
        }
    }

    static double value(JsonNode result) {
        double sum = 0;
        for (JsonNode s : result) sum += Double.parseDouble(s.path("value").get(1).asString());
        return sum;
    }

    static String hostPort(String url) {
        URI u = URI.create(url);
        return u.getHost() + ":" + u.getPort();
    }
}
