package io.moeserve.contract.deploy;

import io.moeserve.contract.support.Repo;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every metric a Grafana dashboard or a Prometheus rule queries is one the services export (derived
 * from their code by {@link MetricCatalog}) or one a recording rule produces. Metrics the dashboards
 * need before a service emits them are listed in {@link #PENDING} with the exact meter to add; an entry
 * fails the test once the service exports it, so the list only shrinks.
 */
class DashboardMetricsTest {
    /** Exported name -> the meter that would export it and who adds it. */
    static final Map<String, String> PENDING = Map.of();

    static final Path DASHBOARDS = Repo.root().resolve("ops/grafana/dashboards");
    static MetricCatalog catalog;

    @BeforeAll
    static void scanServices() {
        catalog = MetricCatalog.of(ServiceModule.all());
    }

    static List<JsonNode> dashboards() throws IOException {
        List<JsonNode> out = new ArrayList<>();
        try (var files = Files.list(DASHBOARDS)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".json")).sorted().toList()) {
                out.add(JsonMapper.builder().build().readTree(Files.readString(f)));
            }
        }
        assertThat(out).as("dashboards in " + DASHBOARDS).hasSizeGreaterThanOrEqualTo(2);
        return out;
    }

    /** Every PromQL expression of a dashboard: panel targets, variable queries, annotations. */
    static Map<String, String> queries(JsonNode dashboard) {
        Map<String, String> out = new LinkedHashMap<>();
        String uid = dashboard.path("uid").asString();
        for (JsonNode p : dashboard.path("panels")) {
            for (JsonNode t : p.path("targets")) out.put(uid + " / " + p.path("title").asString() + " " + t.path("refId").asString(), t.path("expr").asString());
        }
        for (JsonNode v : dashboard.path("templating").path("list")) {
            String def = v.path("definition").asString("");
            Matcher m = Pattern.compile("label_values\\(\\s*([^,)]+)").matcher(def);
            if (m.find()) out.put(uid + " / variable " + v.path("name").asString(), m.group(1));
        }
        for (JsonNode a : dashboard.path("annotations").path("list")) {
            if (a.has("expr")) out.put(uid + " / annotation " + a.path("name").asString(), a.path("expr").asString());
        }
        return out;
    }

    static Map<String, String> ruleQueries() {
        Map<String, String> out = new LinkedHashMap<>();
        for (Map<String, Object> g : DeployYaml.maps(DeployYaml.load(PrometheusConfigTest.DIR.resolve("rules.yml")).get("groups"))) {
            for (Map<String, Object> r : DeployYaml.maps(g.get("rules"))) {
                out.put("rule " + (r.containsKey("record") ? r.get("record") : r.get("alert")), String.valueOf(r.get("expr")));
            }
        }
        return out;
    }

    static Set<String> recorded() {
        Set<String> out = new TreeSet<>();
        for (Map<String, Object> g : DeployYaml.maps(DeployYaml.load(PrometheusConfigTest.DIR.resolve("rules.yml")).get("groups"))) {
            for (Map<String, Object> r : DeployYaml.maps(g.get("rules"))) if (r.containsKey("record")) out.add(String.valueOf(r.get("record")));
        }
        return out;
    }

    @Test
    void everyQueriedMetricIsExportedRecordedOrPending() throws IOException {
        Map<String, String> queries = new LinkedHashMap<>(ruleQueries());
        for (JsonNode d : dashboards()) queries.putAll(queries(d));
        Set<String> exported = catalog.exported(null), recorded = recorded();
        List<String> unknown = new ArrayList<>();
        Set<String> used = new LinkedHashSet<>();
        queries.forEach((where, expr) -> {
            for (String name : PromQl.metricNames(expr)) {
                used.add(name);
                boolean known = exported.contains(name) || recorded.contains(name) || name.equals("up") || PENDING.containsKey(name);
                if (!known) unknown.add(where + ": " + name);
            }
        });
        assertThat(unknown).as("metrics queried but exported by no service, recorded by no rule, not PENDING").isEmpty();
        assertThat(used).as("the dashboards show the vLLM request metrics").contains(
                "vllm:time_to_first_token_seconds_bucket", "vllm:inter_token_latency_seconds_bucket",
                "vllm:num_requests_running", "vllm:num_requests_waiting", "vllm:prefix_cache_hits_total",
                "vllm:prompt_tokens_total", "vllm:generation_tokens_total", "moeserve_expert_tokens_total",
                "moeserve_dispatch_rtt_seconds_bucket", "moeserve_dispatch_failovers_total", "moeserve_expert_plan_version");
        assertThat(used).as("every pending entry is used").containsAll(PENDING.keySet());
    }

    @Test
    void pendingMetricsAreNotExportedYet() {
        Set<String> exported = catalog.exported(null);
        for (var e : PENDING.entrySet()) {
            assertThat(exported).as(e.getKey() + " is exported now: remove it from PENDING (" + e.getValue() + ")").doesNotContain(e.getKey());
        }
    }

    /** The catalog itself: the helpers and shortcuts of the real metric classes are understood. */
    @Test
    void catalogFindsMetersBehindHelpersAndShortcuts() {
        Set<String> router = catalog.exported("router-service");
        assertThat(router).contains("vllm:time_to_first_token_seconds_bucket", "vllm:e2e_request_latency_seconds_count",
                "vllm:num_requests_running", "vllm:prompt_tokens_total", "moeserve_dispatch_failovers_total");
        assertThat(catalog.exported("expert-service")).contains("moeserve_expert_plan_version", "moeserve_expert_compute_seconds_bucket",
                "moeserve_expert_tokens_total");
        assertThat(catalog.exported("gateway")).contains("moeserve_gateway_requests_total", "moeserve_gateway_response_start_seconds_count")
                .doesNotContain("moeserve_gateway_response_start_seconds_bucket");
        assertThat(catalog.exported("kv-cache-service")).contains("moeserve_kvcache_hits_total", "moeserve_kvcache_quota_bytes");
    }
}
