package io.moeserve.contract.deploy;

import io.moeserve.contract.support.Repo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The shipped Prometheus configuration: valid for promtool (config, rules, and the rules' unit tests),
 * and one scrape job per service in each variant (compose, local stack, Kubernetes), at the path the
 * service serves its metrics on and the port it listens on.
 */
class PrometheusConfigTest {
    static final Path DIR = Repo.root().resolve("ops/prometheus");

    static Map<String, Object> job(Map<String, Object> config, String name) {
        return DeployYaml.maps(config.get("scrape_configs")).stream().filter(j -> name.equals(j.get("job_name"))).findFirst()
                .orElseThrow(() -> new AssertionError("no scrape job " + name));
    }

    static String promtool(Path workDir, String... args) throws Exception {
        String tool = System.getenv().getOrDefault("PROMTOOL", "promtool");
        boolean found = tool.contains("/") ? Files.isExecutable(Path.of(tool))
                : List.of(System.getenv("PATH").split(File.pathSeparator)).stream().anyMatch(d -> Files.isExecutable(Path.of(d, tool)));
        assertThat(found).as("promtool is needed: apt-get install prometheus (.ci/run installs it)").isTrue();
        List<String> cmd = new ArrayList<>(List.of(tool));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(workDir.toFile()).redirectErrorStream(true).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("promtool finished").isTrue();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(String.join(" ", cmd) + ":\n" + out).isZero();
        return out;
    }

    @Test
    void promtoolAcceptsTheComposeAndLocalConfigsAndTheRules() throws Exception {
        assertThat(promtool(DIR, "check", "config", "prometheus.yml")).contains("SUCCESS");
        assertThat(promtool(DIR, "check", "config", "prometheus-local.yml")).contains("SUCCESS");
        assertThat(promtool(DIR, "check", "rules", "rules.yml")).contains("SUCCESS");
    }

    @Test
    void recordingRulesAndAlertsPassTheirUnitTests() throws Exception {
        assertThat(promtool(DIR, "test", "rules", "rules.test.yml")).contains("SUCCESS");
    }

    /**
     * Debian's promtool is built without Kubernetes service discovery, so the pod discovery is checked
     * here and the rest of the file (relabelling, rules) by promtool with it swapped for a static target.
     */
    @Test
    void kubernetesConfigIsValidAroundItsPodDiscovery(@TempDir Path tmp) throws Exception {
        Map<String, Object> config = DeployYaml.load(DIR.resolve("prometheus-k8s.yml"));
        Map<String, Object> pods = job(config, "moeserve-pods");
        Map<String, Object> sd = DeployYaml.maps(pods.get("kubernetes_sd_configs")).getFirst();
        assertThat(sd.get("role")).isEqualTo("pod");
        assertThat(DeployYaml.at(sd, "namespaces.own_namespace")).isEqualTo(true);
        Map<String, Object> sanitized = new LinkedHashMap<>(pods);
        sanitized.remove("kubernetes_sd_configs");
        sanitized.put("static_configs", List.of(Map.of("targets", List.of("pod.example:8080"))));
        List<Object> jobs = new ArrayList<>(DeployYaml.list(config.get("scrape_configs")));
        jobs.set(jobs.indexOf(pods), sanitized);
        Map<String, Object> copy = new LinkedHashMap<>(config);
        copy.put("scrape_configs", jobs);
        Files.writeString(tmp.resolve("prometheus.yml"), new Yaml().dump(copy));
        Files.copy(DIR.resolve("rules.yml"), tmp.resolve("rules.yml"));
        assertThat(promtool(tmp, "check", "config", "prometheus.yml")).contains("SUCCESS");
    }

    /** Pods are kept by annotation and the job is named after app.kubernetes.io/name: the service name. */
    @Test
    void kubernetesJobsAreNamedAfterTheServices() {
        Map<String, Object> pods = job(DeployYaml.load(DIR.resolve("prometheus-k8s.yml")), "moeserve-pods");
        List<Map<String, Object>> relabel = DeployYaml.maps(pods.get("relabel_configs"));
        assertThat(relabel).anySatisfy(r -> {
            assertThat(r.get("source_labels")).isEqualTo(List.of("__meta_kubernetes_pod_label_app_kubernetes_io_name"));
            assertThat(r.get("target_label")).isEqualTo("job");
        });
        assertThat(relabel).anySatisfy(r -> assertThat(r.get("target_label")).isEqualTo("__metrics_path__"));
        assertThat(relabel).anySatisfy(r -> assertThat(r.get("action")).isEqualTo("keep"));
    }

    @Test
    void localConfigScrapesEachServiceOnItsDefaultPort() {
        Map<String, Object> local = DeployYaml.load(DIR.resolve("prometheus-local.yml"));
        for (ServiceModule s : ServiceModule.all()) {
            Map<String, Object> job = job(local, s.name());
            assertThat(job.get("metrics_path")).as(s.name()).isEqualTo(s.metricsPath());
            List<String> targets = DeployYaml.maps(job.get("static_configs")).stream()
                    .flatMap(c -> DeployYaml.listAt(c, "targets").stream().map(String::valueOf)).toList();
            // `moe up` starts each service on its default port (experts on default + i)
            assertThat(targets).as(s.name()).contains("127.0.0.1:" + s.port(Set.of(), Map.of()));
        }
    }

    /** Every config renames the scraped per-expert-instance label the same way, so the rules work everywhere. */
    @Test
    void everyConfigTurnsTheScrapedInstanceLabelIntoExpertInstance() {
        for (String file : List.of("prometheus.yml", "prometheus-local.yml", "prometheus-k8s.yml")) {
            Map<String, Object> config = DeployYaml.load(DIR.resolve(file));
            for (Map<String, Object> job : DeployYaml.maps(config.get("scrape_configs"))) {
                String name = String.valueOf(job.get("job_name"));
                if (!Set.of("router-service", "expert-service", "moeserve-pods").contains(name)) continue;
                List<Map<String, Object>> mr = DeployYaml.maps(job.get("metric_relabel_configs"));
                assertThat(mr).as(file + " " + name).anySatisfy(r -> {
                    assertThat(r.get("source_labels")).isEqualTo(List.of("exported_instance"));
                    assertThat(r.get("target_label")).isEqualTo("expert_instance");
                });
            }
            assertThat(DeployYaml.listAt(config, "rule_files")).as(file).containsExactly("rules.yml");
        }
    }
}
