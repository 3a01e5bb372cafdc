package io.moeserve.contract.deploy;

import io.moeserve.contract.support.Repo;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** The provisioned dashboards load as Grafana expects them and point at the provisioned datasource. */
class GrafanaDashboardsTest {

    @Test
    void dashboardsAreWellFormedAndUseOnlyDefinedVariables() throws IOException {
        Set<String> uids = new HashSet<>();
        for (JsonNode d : DashboardMetricsTest.dashboards()) {
            String uid = d.path("uid").asString();
            assertThat(uids.add(uid)).as("unique uid " + uid).isTrue();
            Set<String> vars = new HashSet<>(Set.of("__rate_interval", "__interval", "__range"));
            for (JsonNode v : d.path("templating").path("list")) vars.add(v.path("name").asString());
            Set<Integer> ids = new HashSet<>();
            for (JsonNode p : d.path("panels")) {
                String title = uid + " / " + p.path("title").asString();
                assertThat(ids.add(p.path("id").asInt())).as("unique panel id in " + title).isTrue();
                JsonNode g = p.path("gridPos");
                assertThat(g.path("x").asInt() + g.path("w").asInt()).as(title + " fits 24 columns").isLessThanOrEqualTo(24);
                assertThat(g.path("h").asInt()).as(title + " height").isPositive();
                if (p.has("repeat")) assertThat(vars).as(title + " repeats over a variable").contains(p.path("repeat").asString());
                if (p.path("type").asString().equals("row")) continue;
                assertThat(p.path("targets").size()).as(title + " has queries").isPositive();
                for (JsonNode t : p.path("targets")) {
                    String expr = t.path("expr").asString();
                    assertThat(expr).as(title + " query").isNotBlank();
                    Matcher m = Pattern.compile("\\$\\{?(\\w+)").matcher(expr + " " + p.path("title").asString());
                    while (m.find()) assertThat(vars).as(title + " uses $" + m.group(1)).contains(m.group(1));
                    assertThat(t.path("datasource").path("uid").asString()).as(title + " datasource").isEqualTo("${datasource}");
                }
            }
        }
    }

    @Test
    void datasourceVariableDefaultsToTheProvisionedPrometheus() throws IOException {
        Map<String, Object> ds = DeployYaml.maps(DeployYaml.load(Repo.root().resolve("ops/grafana/provisioning/datasources/prometheus.yml"))
                .get("datasources")).getFirst();
        assertThat(ds.get("type")).isEqualTo("prometheus");
        for (JsonNode d : DashboardMetricsTest.dashboards()) {
            JsonNode var = null;
            for (JsonNode v : d.path("templating").path("list")) if (v.path("name").asString().equals("datasource")) var = v;
            assertThat(var).as(d.path("uid").asString() + " has a datasource variable").isNotNull();
            assertThat(var.path("query").asString()).isEqualTo("prometheus");
            assertThat(var.path("current").path("value").asString()).isEqualTo(ds.get("uid"));
        }
        // compose service "prometheus" and the Service of ops/k8s/monitoring share the name and port
        assertThat(ds.get("url")).isEqualTo("http://prometheus:9090");
    }

    @Test
    void kubernetesMonitoringShipsEveryDashboard() throws IOException {
        Map<String, Object> k = DeployYaml.load(Repo.root().resolve("ops/k8s/monitoring/kustomization.yaml"));
        List<String> files = DeployYaml.maps(k.get("configMapGenerator")).stream().filter(g -> "grafana-dashboards".equals(g.get("name")))
                .flatMap(g -> DeployYaml.list(g.get("files")).stream().map(String::valueOf)).toList();
        try (var dir = Files.list(DashboardMetricsTest.DASHBOARDS)) {
            for (Path f : dir.filter(p -> p.toString().endsWith(".json")).toList()) {
                assertThat(files).as("grafana-dashboards ConfigMap").contains("../../grafana/dashboards/" + f.getFileName());
            }
        }
    }
}
