package io.moeserve.contract.deploy;

import io.moeserve.contract.support.Http;
import io.moeserve.contract.support.Repo;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.stream.StreamSupport;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The whole local stack of `ops/bin/moe up` (Kafka, experts, kv-cache, router, gateway), already
 * running: after a few requests every service's metrics moved where the traffic went, and Prometheus
 * with the shipped ops/prometheus/prometheus-local.yml, unchanged, scrapes every service and evaluates
 * the rules the dashboards use. A stack already started with `ops/bin/moe up` (run/stack.json) is
 * used as it is; otherwise the test starts one with `ops/bin/moe up` itself and stops it afterwards.
 */
class LocalStackScrapeIT {
    static Path runDir;
    static boolean startedHere;
    static JsonNode stack;
    /** Service name in stack.json ("router", "expert-0", "kv-cache", "gateway") -> metrics URL. */
    static final Map<String, String> METRICS = new LinkedHashMap<>();

    @BeforeAll
    static void traffic() throws Exception {
        runDir = Repo.root().resolve("run");
        if (!Files.exists(runDir.resolve("stack.json"))) {
            runDir = Repo.root().resolve("contract-tests/target/local-stack");
            moe("up", "--run-dir", Repo.root().relativize(runDir).toString(), "--api-key", "ct-local-" + java.util.UUID.randomUUID());
            startedHere = true;
        }
        Path file = runDir.resolve("stack.json");
        assertThat(file).as("moe up wrote its state").exists();
        stack = Http.JSON.readTree(Files.readString(file));
        for (JsonNode s : stack.path("services")) {
            String name = s.path("name").asString();
            String module = switch (name.replaceAll("-\\d+$", "")) {
                case "router" -> "router-service";
                case "expert" -> "expert-service";
                case "kv-cache" -> "kv-cache-service";
                case "gateway" -> "gateway";
                default -> null;  // kafka
            };
            if (module != null) METRICS.put(name, "http://127.0.0.1:" + s.path("port").asInt() + ServiceModule.named(module).metricsPath());
            if (name.equals("planner")) METRICS.put(name, "http://127.0.0.1:" + s.path("port").asInt() + "/metrics"); // moe planner (ops)
        }
        String base = stack.path("baseUrl").asString(), key = stack.path("apiKey").asString();
        // the same 20+ token prompt twice: the second finds its first block in the shared prefix cache
        String prompt = "In the beginning God created the heaven and the earth. And the earth was without form, and void";
        for (int i = 0; i < 3; i++) {
            Http.Reply r = Http.post(base + "/chat/completions", key, "{\"model\":\"" + stack.path("model").asString("tiny-moe")
                    + "\",\"messages\":[{\"role\":\"user\",\"content\":\"" + prompt + "\"}],\"max_tokens\":8}");
            assertThat(r.status()).as(r.body()).isEqualTo(200);
        }
    }

    @org.junit.jupiter.api.AfterAll
    static void stopIfStartedHere() throws Exception {
        if (startedHere) moe("down", "--run-dir", Repo.root().relativize(runDir).toString());
    }

    /** Runs ops/bin/moe with the JDK running the tests; fails with its output if it fails. */
    static void moe(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Repo.root().resolve("ops/bin/moe").toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(Repo.root().toFile()).redirectErrorStream(true);
        pb.environment().put("JAVA_HOME", Path.of(System.getProperty("java.home")).toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as("moe " + String.join(" ", args) + ":\n" + out).isZero();
    }

    @Test
    void metricsMovedWhereTheTrafficWent() throws Exception {
        Scrape router = Scrape.of(METRICS.get("router")), gateway = Scrape.of(METRICS.get("gateway"));
        assertThat(router.sum("vllm:generation_tokens_total")).isGreaterThanOrEqualTo(3);
        assertThat(router.sum("vllm:prefix_cache_queries_total")).isPositive();
        assertThat(router.sum("moeserve_dispatch_rtt_seconds_count")).as("dispatched over Kafka").isPositive();
        assertThat(gateway.sum("moeserve_gateway_requests_total", "route=\"chat_completions\"", "status=\"200\"")).isGreaterThanOrEqualTo(3);
        double expertTokens = 0;
        for (var e : METRICS.entrySet()) {
            if (!e.getKey().startsWith("expert-")) continue;
            Scrape expert = Scrape.of(e.getValue());
            assertThat(expert.sum("moeserve_expert_plan_version")).as(e.getKey() + " has a plan").isNotNegative();
            expertTokens += expert.sum("moeserve_expert_dispatched_tokens_total");
        }
        assertThat(expertTokens).as("expert instances computed tokens").isPositive();
        if (METRICS.containsKey("kv-cache")) assertThat(Scrape.of(METRICS.get("kv-cache")).names()).contains("jvm_info");
        if (METRICS.containsKey("planner")) {
            Scrape planner = Scrape.of(METRICS.get("planner"));
            assertThat(planner.sum("moeserve_planner_plan_version")).as("the planner knows the plan in force").isPositive();
            assertThat(planner.names()).contains("moeserve_planner_members", "moeserve_planner_proposals_total");
        }
    }

    @Test
    void shippedLocalPrometheusConfigScrapesEveryServiceAndRunsTheRules(@TempDir Path tmp) throws Exception {
        String config = Files.readString(PrometheusConfigTest.DIR.resolve("prometheus-local.yml"));
        try (PrometheusServer prometheus = PrometheusServer.start(config, tmp)) {
            List<String> jobs = new ArrayList<>(List.of("router-service", "gateway", "expert-service"));
            if (METRICS.containsKey("kv-cache")) jobs.add("kv-cache-service");
            if (StreamSupport.stream(stack.path("services").spliterator(), false).anyMatch(s -> s.path("name").asString().equals("planner"))) {
                jobs.add("planner");
            }
            for (String job : jobs) {
                prometheus.awaitQuery("min(up{job=\"" + job + "\"})", r -> ServiceMetricsIT.value(r) == 1, Duration.ofSeconds(60));
            }
            // the relabelling gives expert series the expert_instance label the dashboards group by
            JsonNode tokens = prometheus.awaitQuery("sum by (expert_instance) (moeserve_expert_layer_tokens_total)", r -> r.size() > 0,
                    Duration.ofSeconds(60));
            assertThat(tokens.get(0).path("metric").path("expert_instance").asString()).startsWith("expert-");
            prometheus.awaitQuery("moeserve:instance_layer_tokens:rate1m", r -> r.size() > 0, Duration.ofSeconds(60));
            prometheus.awaitQuery("moeserve:requests:rate1m", r -> r.size() > 0, Duration.ofSeconds(60));
        }
    }
}
