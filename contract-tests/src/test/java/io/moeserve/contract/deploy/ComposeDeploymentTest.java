package io.moeserve.contract.deploy;

import io.moeserve.contract.support.Repo;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * docker-compose.yml against the code: every service deployed from its Dockerfile, every variable set
 * read by the service, ports, addresses, topics, model mount and replica counts consistent with what
 * the services' application.yml and @ConfigurationProperties make of them (profile "docker").
 */
class ComposeDeploymentTest {
    /** What `docker compose up` sees with only the required variable in .env. */
    static final Map<String, String> SHELL = Map.of("MOESERVE_API_KEYS", "sk-test");
    static final Compose COMPOSE = Compose.load(SHELL);

    static Set<String> profiles(Compose c, String service) {
        String p = c.env(service).get("SPRING_PROFILES_ACTIVE");
        return p == null ? Set.of() : Set.of(p.split(","));
    }

    static String effective(Compose c, ServiceModule s, String key) {
        return s.config().resolve(key, profiles(c, s.name()), c.env(s.name()));
    }

    @Test
    void everyServiceTheCodeHasIsBuiltFromItsDockerfile() {
        assertThat(ServiceModule.names()).containsExactlyInAnyOrder("router-service", "expert-service", "kv-cache-service", "gateway");
        for (ServiceModule s : ServiceModule.all()) {
            Map<String, Object> svc = COMPOSE.service(s.name());
            assertThat(DeployYaml.str(svc, "build.context")).as(s.name() + " build context").isEqualTo(".");
            assertThat(DeployYaml.str(svc, "build.dockerfile")).as(s.name() + " dockerfile").isEqualTo(s.name() + "/Dockerfile");
            assertThat(Repo.root().resolve(s.name()).resolve("Dockerfile")).exists();
            assertThat(DeployYaml.str(svc, "image")).as(s.name() + " image").startsWith("moeserve/" + s.name() + ":");
            assertThat(profiles(COMPOSE, s.name())).as(s.name() + " profile").containsExactly("docker");
            assertThat(s.config().profiles()).as(s.name() + " has a docker profile document").contains("docker");
        }
    }

    @Test
    void composeRefusesToStartWithoutApiKeys() {
        assertThatThrownBy(() -> Compose.load(Map.of())).isInstanceOf(Compose.MissingVariableException.class)
                .hasMessageContaining("MOESERVE_API_KEYS");
        assertThat(COMPOSE.env("gateway")).containsEntry("MOESERVE_API_KEYS", "sk-test");
    }

    @Test
    void everyEnvironmentVariableIsReadByItsService() {
        for (ServiceModule s : ServiceModule.all()) {
            Map<String, String> env = COMPOSE.env(s.name());
            assertThat(ServiceEnv.unread(s, Dockerfile.of(s), env.keySet()))
                    .as(s.name() + ": variables nothing in the container reads (typo, or a renamed property?)").isEmpty();
            assertThat(s.config().requiredPlaceholders(profiles(COMPOSE, s.name())))
                    .as(s.name() + ": placeholders without a default must be set").allSatisfy(v -> assertThat(env).containsKey(v));
        }
    }

    @Test
    void eachServiceListensWhereTheHealthCheckAndPrometheusLook() {
        Map<String, Object> prometheus = DeployYaml.load(Repo.root().resolve("ops/prometheus/prometheus.yml"));
        for (ServiceModule s : ServiceModule.all()) {
            int port = s.port(profiles(COMPOSE, s.name()), COMPOSE.env(s.name()));
            List<String> containerPorts = new ArrayList<>(DeployYaml.listAt(COMPOSE.service(s.name()), "expose").stream().map(String::valueOf).toList());
            for (Object p : DeployYaml.listAt(COMPOSE.service(s.name()), "ports")) {
                String[] parts = String.valueOf(p).split(":");
                containerPorts.add(parts[parts.length - 1]);
            }
            assertThat(containerPorts).as(s.name() + " exposed/published container port").containsExactly(String.valueOf(port));
            String check = COMPOSE.healthcheck(s.name());
            assertThat(check).as(s.name() + " health check").startsWith("http-ok " + port + " ");
            assertServes(s, check.split(" ")[2], "docker");
            Map<String, Object> job = PrometheusConfigTest.job(prometheus, s.name());
            assertThat(job.get("metrics_path")).as(s.name() + " metrics path").isEqualTo(s.metricsPath());
            List<String> targets = new ArrayList<>();
            for (Map<String, Object> sc : DeployYaml.maps(job.get("static_configs"))) targets.addAll(DeployYaml.listAt(sc, "targets").stream().map(String::valueOf).toList());
            for (Map<String, Object> dns : DeployYaml.maps(job.get("dns_sd_configs"))) {
                for (Object n : DeployYaml.listAt(dns, "names")) targets.add(n + ":" + dns.get("port"));
            }
            assertThat(targets).as(s.name() + " scrape targets").containsExactly(s.name() + ":" + port);
        }
    }

    /** The health path is one the service answers under that profile. */
    static void assertServes(ServiceModule s, String path, String profile) {
        if (path.startsWith("/actuator/health/")) {
            assertThat(s.config().resolve("management.endpoint.health.probes.enabled", Set.of(profile), Map.of()))
                    .as(s.name() + " serves " + path + " only with health probes enabled").isEqualTo("true");
        }
        if (path.startsWith("/actuator/")) {
            assertThat(s.config().resolve("management.endpoints.web.exposure.include", Set.of(profile), Map.of()))
                    .as(s.name() + " exposes health").contains("health");
            assertThat(s.config().resolve("management.server.port", Set.of(profile), Map.of())).isNotEqualTo("-1");
        } else {
            assertThat(s.sourcesContain("\"" + path + "\"")).as(s.name() + " serves " + path + " itself").isTrue();
        }
    }

    @Test
    void servicesReachKafkaRedisAndEachOtherByComposeNames() {
        String kafka = Code.hostPort(COMPOSE.env("kafka").get("KAFKA_ADVERTISED_LISTENERS").replace("PLAINTEXT://", ""));
        assertThat(kafka).isEqualTo("kafka:9092");
        assertThat(String.join(" ", DeployYaml.listAt(COMPOSE.service("redis"), "command").stream().map(String::valueOf).toList()))
                .doesNotContain("--port");  // so Redis is on its default 6379
        String redis = "redis:6379";
        ServiceModule router = ServiceModule.named("router-service"), expert = ServiceModule.named("expert-service"),
                kv = ServiceModule.named("kv-cache-service"), gateway = ServiceModule.named("gateway");
        int routerPort = router.port(profiles(COMPOSE, router.name()), COMPOSE.env(router.name()));
        int kvPort = kv.port(profiles(COMPOSE, kv.name()), COMPOSE.env(kv.name()));
        Map<ServiceModule, Map<String, String>> links = Map.of(
                expert, Map.of("moeserve.expert.kafka.bootstrap-servers", kafka),
                router, Map.of("moeserve.router.dispatch.bootstrap-servers", kafka,
                        "moeserve.router.prefix-cache.redis-uri", redis,
                        "moeserve.router.prefix-cache.service-url", "kv-cache-service:" + kvPort),
                gateway, Map.of("moeserve.gateway.routers", "router-service:" + routerPort,
                        "moeserve.gateway.redis.uri", redis));
        links.forEach((s, want) -> want.forEach((key, target) -> {
            assertThat(s.properties().properties()).as(s.name() + " binds " + key).contains(key);
            String value = effective(COMPOSE, s, key);
            assertThat(value).as(s.name() + " " + key).isNotNull();
            assertThat(Code.hostPort(value)).as(s.name() + " " + key + " = " + value).isEqualTo(target);
        }));
        assertThat(effective(COMPOSE, kv, "spring.data.redis.host") + ":" + effective(COMPOSE, kv, "spring.data.redis.port")).isEqualTo(redis);
        assertThat(effective(COMPOSE, router, "moeserve.router.experts")).isEqualTo("kafka");
        assertThat(effective(COMPOSE, router, "moeserve.router.prefix-cache.enabled")).isEqualTo("true");
    }

    @Test
    void theModelIsMountedReadOnlyWhereRouterAndExpertsLoadIt() {
        for (String name : List.of("router-service", "expert-service")) {
            ServiceModule s = ServiceModule.named(name);
            String key = name.equals("router-service") ? "moeserve.router.model-dir" : "moeserve.expert.model-dir";
            assertThat(s.properties().properties()).contains(key);
            String modelDir = effective(COMPOSE, s, key);
            String mount = DeployYaml.listAt(COMPOSE.service(name), "volumes").stream().map(String::valueOf)
                    .filter(v -> v.split(":")[1].equals(modelDir)).findFirst()
                    .orElseThrow(() -> new AssertionError(name + " loads " + modelDir + " but mounts nothing there"));
            String[] parts = mount.split(":");
            assertThat(parts).as(name + " model mount " + mount).hasSize(3);
            assertThat(parts[2]).as("read-only").isEqualTo("ro");
            assertThat(Repo.root().resolve(parts[0]).resolve("config.json")).as("host side of " + mount).exists();
        }
        assertThat(effective(COMPOSE, ServiceModule.named("router-service"), "moeserve.router.model-id"))
                .isEqualTo(Path.of(effective(COMPOSE, ServiceModule.named("router-service"), "moeserve.router.model-dir")).getFileName().toString());
    }

    @Test
    void expertReplicasStartUpPlanAndPartitionsFollowExpertReplicas() {
        for (String replicas : List.of("2", "5")) {
            Map<String, String> shell = new java.util.HashMap<>(SHELL);
            if (!replicas.equals("2")) shell.put("EXPERT_REPLICAS", replicas);
            Compose c = Compose.load(shell);
            ServiceModule expert = ServiceModule.named("expert-service"), router = ServiceModule.named("router-service");
            assertThat(DeployYaml.str(c.service("expert-service"), "deploy.replicas")).isEqualTo(replicas);
            assertThat(effective(c, expert, "moeserve.expert.plan.round-robin-instances")).isEqualTo(replicas);
            assertThat(effective(c, router, "moeserve.router.dispatch.round-robin-instances")).isEqualTo(replicas);
            int dispatchPartitions = Integer.parseInt(c.env("kafka-init").get("DISPATCH_PARTITIONS"));
            assertThat(dispatchPartitions).isGreaterThanOrEqualTo(Integer.parseInt(replicas));
            int combinePartitions = Integer.parseInt(c.env("kafka-init").get("COMBINE_PARTITIONS"));
            assertThat(Integer.parseInt(effective(c, router, "moeserve.router.dispatch.router-id"))).isLessThan(combinePartitions);
            // kafka-init sized the topics for scaling: services must not create them with their own counts
            assertThat(effective(c, expert, "moeserve.expert.kafka.create-topics")).isEqualTo("false");
            assertThat(effective(c, router, "moeserve.router.dispatch.create-topics")).isEqualTo("false");
        }
        // replicas take instance id and partition from their container name (ops/docker/expert-entrypoint.sh)
        assertThat(COMPOSE.env("expert-service")).containsEntry("MOESERVE_EXPERT_IDENTITY", "compose")
                .doesNotContainKeys("MOESERVE_EXPERT_INSTANCE_ID", "MOESERVE_EXPERT_PARTITION");
        assertThat(Dockerfile.of(ServiceModule.named("expert-service")).launchText())
                .contains("MOESERVE_EXPERT_IDENTITY", "MOESERVE_EXPERT_INSTANCE_ID", "MOESERVE_EXPERT_PARTITION");
        assertThat(COMPOSE.file.get("name")).as("container names moeserve-expert-service-N").isEqualTo("moeserve");
    }

    @Test
    void kafkaInitCreatesTheTopicsTheCodeUsesWithTheSharedScript() {
        List<String> volumes = DeployYaml.listAt(COMPOSE.service("kafka-init"), "volumes").stream().map(String::valueOf).toList();
        String mount = volumes.stream().filter(v -> v.startsWith("./ops/k8s/base/kafka/create-topics.sh:")).findFirst()
                .orElseThrow(() -> new AssertionError("kafka-init does not mount the topic script: " + volumes));
        String inContainer = mount.split(":")[1];
        assertThat(String.join(" ", DeployYaml.listAt(COMPOSE.service("kafka-init"), "entrypoint").stream().map(String::valueOf).toList()))
                .contains(inContainer);
        assertThat(Code.scriptTopics(Code.topicsScript())).containsExactlyInAnyOrderElementsOf(Code.topics());
        assertThat(DeployYaml.str(COMPOSE.service("kafka-init"), "restart")).isEqualTo("no");
        assertThat(COMPOSE.env("kafka-init").get("BOOTSTRAP")).isEqualTo("kafka:9092");
    }

    @Test
    void kafkaIsSingleNodeKraftOfTheClientsVersion() {
        Map<String, String> env = COMPOSE.env("kafka");
        assertThat(env.get("KAFKA_PROCESS_ROLES")).isEqualTo("broker,controller");
        assertThat(env).containsEntry("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "false").containsEntry("KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS", "0");
        String image = DeployYaml.str(COMPOSE.service("kafka"), "image");
        assertThat(image).isEqualTo("apache/kafka:" + Code.kafkaClientVersion());
        assertThat(DeployYaml.str(COMPOSE.service("kafka-init"), "image")).isEqualTo(image);
    }

    @Test
    void startupWaitsForHealthyDependenciesAndOnlyTheGatewayIsPublic() {
        Map<String, Object> services = COMPOSE.services();
        for (var e : services.entrySet()) {
            Map<String, Object> deps = DeployYaml.mapAt(e.getValue(), "depends_on");
            deps.forEach((dep, cond) -> {
                assertThat(services).as(e.getKey() + " depends on " + dep).containsKey(dep);
                String condition = DeployYaml.str(cond, "condition");
                if ("service_healthy".equals(condition)) {
                    assertThat(DeployYaml.at(services.get(dep), "healthcheck")).as(dep + " has a health check").isNotNull();
                } else if ("service_completed_successfully".equals(condition)) {
                    assertThat(DeployYaml.str(services.get(dep), "restart")).as(dep + " runs once").isEqualTo("no");
                }
            });
        }
        for (ServiceModule s : ServiceModule.all()) {
            assertThat(DeployYaml.at(services.get(s.name()), "healthcheck")).as(s.name() + " health check").isNotNull();
        }
        for (var e : services.entrySet()) {
            for (Object p : DeployYaml.listAt(e.getValue(), "ports")) {
                if (!e.getKey().equals("gateway")) {
                    assertThat(String.valueOf(p)).as(e.getKey() + " publishes " + p + " beyond this host").startsWith("127.0.0.1:");
                }
            }
        }
        assertThat(DeployYaml.listAt(services.get("gateway"), "ports")).containsExactly("8080:8080");
    }

    @Test
    void prometheusAndGrafanaMountTheShippedConfiguration() {
        for (String svc : List.of("prometheus", "grafana")) {
            for (Object v : DeployYaml.listAt(COMPOSE.service(svc), "volumes")) {
                String src = String.valueOf(v).split(":")[0];
                if (src.startsWith("./")) assertThat(Repo.root().resolve(src)).as(svc + " mounts " + src).exists();
            }
        }
        Map<String, Object> provider = DeployYaml.load(Repo.root().resolve("ops/grafana/provisioning/dashboards/moeserve.yml"));
        String dashboards = DeployYaml.str(DeployYaml.maps(provider.get("providers")).getFirst(), "options.path");
        assertThat(DeployYaml.listAt(COMPOSE.service("grafana"), "volumes")).contains("./ops/grafana/dashboards:" + dashboards + ":ro");
        String home = COMPOSE.env("grafana").get("GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH");
        assertThat(home).startsWith(dashboards + "/");
        assertThat(Repo.root().resolve("ops/grafana/dashboards").resolve(home.substring(dashboards.length() + 1))).exists();
        assertThat(Files.isDirectory(Repo.root().resolve("ops/grafana/provisioning/datasources"))).isTrue();
    }
}
