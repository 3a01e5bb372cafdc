package io.moeserve.contract.deploy;

import io.moeserve.contract.support.Repo;
import io.moeserve.core.placement.InstanceSpec;
import io.moeserve.core.placement.PlacementPlans;
import io.moeserve.core.wire.Topics;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * ops/k8s/base against the code: every service runs its image with an environment it reads (profile
 * "k8s"), listens where its Service, probes and scrape annotations point, reaches Kafka, Redis and the
 * other services by their Services; experts and routers take their instance id / partition from the
 * StatefulSet ordinal; KEDA watches the topic and consumer groups the experts really use.
 */
class KubernetesDeploymentTest {
    static final K8s BASE = K8s.base();
    /** A pod of each StatefulSet beyond the first, so ordinal-derived values are not all zero. */
    static final int ORDINAL = 3;

    static Set<String> profiles(Map<String, String> env) {
        return Set.of(env.getOrDefault("SPRING_PROFILES_ACTIVE", "").split(","));
    }

    static String effective(ServiceModule s, String key) {
        Map<String, String> env = BASE.env(s.name(), ORDINAL);
        return s.config().resolve(key, profiles(env), env);
    }

    @Test
    void everyServiceRunsItsImageWithTheK8sProfile() {
        String tag = DeployYaml.str(ComposeDeploymentTest.COMPOSE.service("gateway"), "image").split(":")[1];
        for (ServiceModule s : ServiceModule.all()) {
            assertThat(String.valueOf(BASE.container(s.name()).get("image"))).isEqualTo("moeserve/" + s.name() + ":" + tag);
            assertThat(BASE.env(s.name(), ORDINAL)).as(s.name()).containsEntry("SPRING_PROFILES_ACTIVE", "k8s");
            assertThat(s.config().profiles()).as(s.name() + " has a k8s profile document").contains("k8s");
        }
    }

    @Test
    void everyEnvironmentVariableIsReadAndEveryRequiredOneSet() {
        for (ServiceModule s : ServiceModule.all()) {
            Map<String, String> env = BASE.env(s.name(), ORDINAL);
            assertThat(ServiceEnv.unread(s, Dockerfile.of(s), env.keySet())).as(s.name() + ": variables nothing reads").isEmpty();
            assertThat(s.config().requiredPlaceholders(profiles(env))).as(s.name() + ": required placeholders")
                    .allSatisfy(v -> assertThat(env).containsKey(v));
        }
    }

    @Test
    void servicesProbesAndScrapeAnnotationsPointAtThePortTheServiceListensOn() {
        for (ServiceModule s : ServiceModule.all()) {
            Map<String, String> env = BASE.env(s.name(), ORDINAL);
            int port = s.port(profiles(env), env);
            Map<String, Object> w = BASE.workload(s.name()), c = BASE.container(s.name());
            assertThat(K8s.port(c, "http")).as(s.name() + " containerPort").isEqualTo(port);
            List<Map<String, Object>> services = BASE.servicesSelecting(BASE.podLabels(w));
            assertThat(services).as(s.name() + " has a Service").isNotEmpty();
            for (Map<String, Object> svc : services) {
                for (Map<String, Object> p : DeployYaml.maps(DeployYaml.at(svc, "spec.ports"))) {
                    assertThat(K8s.port(c, p.get("targetPort"))).as(s.name() + " Service targetPort").isEqualTo(port);
                }
            }
            for (String probe : List.of("startupProbe", "readinessProbe", "livenessProbe")) {
                Map<String, Object> pr = DeployYaml.map(c.get(probe));
                assertThat(pr).as(s.name() + " " + probe).isNotEmpty();
                Object probePort = pr.containsKey("httpGet") ? DeployYaml.at(pr, "httpGet.port") : DeployYaml.at(pr, "tcpSocket.port");
                assertThat(K8s.port(c, probePort)).as(s.name() + " " + probe + " port").isEqualTo(port);
                if (pr.containsKey("httpGet")) ComposeDeploymentTest.assertServes(s, DeployYaml.str(pr, "httpGet.path"), "k8s");
            }
            if (Code.runsEngine(s)) {
                Map<String, Object> startup = DeployYaml.map(c.get("startupProbe"));
                int budget = ((Number) startup.get("periodSeconds")).intValue() * ((Number) startup.get("failureThreshold")).intValue();
                assertThat(budget).as(s.name() + " may take minutes to load a model before liveness counts").isGreaterThanOrEqualTo(300);
            }
            Map<String, Object> ann = DeployYaml.mapAt(w, "spec.template.metadata.annotations");
            assertThat(ann).as(s.name() + " scrape annotations").containsEntry("prometheus.io/scrape", "true")
                    .containsEntry("prometheus.io/port", String.valueOf(port)).containsEntry("prometheus.io/path", s.metricsPath());
            assertThat(BASE.podLabels(w)).as(s.name() + " job label (prometheus-k8s.yml)").containsEntry("app.kubernetes.io/name", s.name());
        }
    }

    @Test
    void servicesReachKafkaRedisAndEachOtherThroughServices() {
        String kafka = BASE.serviceAddress("kafka"), redis = BASE.serviceAddress("redis");
        assertThat(kafka).isEqualTo("kafka:9092");
        Map<String, Map<String, String>> links = Map.of(
                "expert-service", Map.of("moeserve.expert.kafka.bootstrap-servers", kafka),
                "router-service", Map.of("moeserve.router.dispatch.bootstrap-servers", kafka,
                        "moeserve.router.prefix-cache.redis-uri", redis,
                        "moeserve.router.prefix-cache.service-url", BASE.serviceAddress("kv-cache-service")),
                "gateway", Map.of("moeserve.gateway.routers", BASE.serviceAddress("router-service"),
                        "moeserve.gateway.redis.uri", redis));
        links.forEach((name, want) -> want.forEach((key, target) -> {
            ServiceModule s = ServiceModule.named(name);
            assertThat(s.properties().properties()).as(name + " binds " + key).contains(key);
            String value = effective(s, key);
            assertThat(value).as(name + " " + key).isNotNull();
            assertThat(Code.hostPort(value)).as(name + " " + key + " = " + value).isEqualTo(target);
        }));
        ServiceModule kv = ServiceModule.named("kv-cache-service");
        assertThat(effective(kv, "spring.data.redis.host") + ":" + effective(kv, "spring.data.redis.port")).isEqualTo(redis);
        assertThat(effective(ServiceModule.named("router-service"), "moeserve.router.experts")).isEqualTo("kafka");
        // the broker advertises a name that resolves from other namespaces (KEDA's) too
        Map<String, Object> broker = K8s.containers(BASE.get("StatefulSet", "kafka")).getFirst();
        String advertised = DeployYaml.maps(broker.get("env")).stream().filter(e -> "KAFKA_ADVERTISED_LISTENERS".equals(e.get("name")))
                .map(e -> String.valueOf(e.get("value"))).findFirst().orElseThrow();
        String headless = DeployYaml.str(BASE.get("StatefulSet", "kafka"), "spec.serviceName");
        assertThat(advertised).isEqualTo("PLAINTEXT://$(POD_NAME)." + headless + ".$(POD_NAMESPACE).svc.cluster.local:9092");
        assertThat(DeployYaml.str(BASE.get("Service", headless), "spec.clusterIP")).isEqualTo("None");
    }

    @Test
    void routerAndExpertsMountTheModelReadOnlyWhereTheyLoadIt() {
        for (String name : List.of("router-service", "expert-service")) {
            ServiceModule s = ServiceModule.named(name);
            String key = name.equals("router-service") ? "moeserve.router.model-dir" : "moeserve.expert.model-dir";
            String dir = effective(s, key);
            Map<String, Object> mount = DeployYaml.maps(BASE.container(name).get("volumeMounts")).stream()
                    .filter(m -> dir.equals(m.get("mountPath"))).findFirst()
                    .orElseThrow(() -> new AssertionError(name + " loads " + dir + " but mounts nothing there"));
            assertThat(mount.get("readOnly")).as(name + " model mount read-only").isEqualTo(true);
            Map<String, Object> volume = DeployYaml.maps(DeployYaml.at(BASE.workload(name), "spec.template.spec.volumes")).stream()
                    .filter(v -> mount.get("name").equals(v.get("name"))).findFirst().orElseThrow();
            assertThat(DeployYaml.str(volume, "persistentVolumeClaim.claimName")).isEqualTo("moeserve-model");
        }
        assertThat(DeployYaml.str(BASE.get("PersistentVolumeClaim", "moeserve-model"), "spec.accessModes")).contains("ReadWriteMany");
    }

    /** Pod expert-N is plan instance expert-N on partition N; router-service-N is router id N. */
    @Test
    void ordinalsGiveExpertInstanceIdsPartitionsAndRouterIds() {
        Map<String, Object> experts = BASE.workload("expert-service"), routers = BASE.workload("router-service");
        assertThat(experts.get("kind")).isEqualTo("StatefulSet");
        assertThat(routers.get("kind")).isEqualTo("StatefulSet");
        ServiceModule expert = ServiceModule.named("expert-service"), router = ServiceModule.named("router-service");
        String sts = DeployYaml.str(experts, "metadata.name");
        assertThat(effective(expert, "moeserve.expert.instance-id")).isEqualTo(sts + "-" + ORDINAL);
        assertThat(effective(expert, "moeserve.expert.partition")).isEqualTo(String.valueOf(ORDINAL));
        assertThat(effective(router, "moeserve.router.dispatch.router-id")).isEqualTo(String.valueOf(ORDINAL));

        int replicas = ((Number) DeployYaml.at(experts, "spec.replicas")).intValue();
        int planned = Integer.parseInt(effective(expert, "moeserve.expert.plan.round-robin-instances"));
        assertThat(planned).as("start-up plan size = expert replicas").isEqualTo(replicas);
        assertThat(effective(router, "moeserve.router.dispatch.round-robin-instances")).isEqualTo(String.valueOf(planned));
        // the round-robin plan names instances exactly as the StatefulSet names its pods, on their ordinals
        for (InstanceSpec i : PlacementPlans.uniformInstances(planned, Long.MAX_VALUE)) {
            assertThat(i.id()).isEqualTo(sts + "-" + i.partition());
        }
        assertThat(effective(expert, "moeserve.expert.kafka.create-topics")).isEqualTo("false");
        assertThat(effective(router, "moeserve.router.dispatch.create-topics")).isEqualTo("false");

        Map<String, Object> hpa = BASE.get("HorizontalPodAutoscaler", "router-service");
        assertThat(DeployYaml.str(hpa, "spec.scaleTargetRef.kind")).isEqualTo("StatefulSet");
        assertThat(DeployYaml.str(hpa, "spec.scaleTargetRef.name")).isEqualTo(DeployYaml.str(routers, "metadata.name"));
        int maxRouters = ((Number) DeployYaml.at(hpa, "spec.maxReplicas")).intValue();
        assertThat(maxRouters).as("every router id has a moe.combine partition").isLessThanOrEqualTo(topicsJobPartitions("COMBINE_PARTITIONS"));
    }

    static int topicsJobPartitions(String name) {
        Map<String, Object> job = BASE.get("Job", "kafka-topics");
        return DeployYaml.maps(K8s.containers(job).getFirst().get("env")).stream()
                .filter(e -> name.equals(e.get("name"))).map(e -> Integer.parseInt(String.valueOf(e.get("value")))).findFirst().orElseThrow();
    }

    @Test
    void kedaScalesExpertsOnTheTopicAndConsumerGroupsTheyReallyUse() {
        Map<String, Object> so = BASE.get("ScaledObject", "expert");
        Map<String, Object> experts = BASE.workload("expert-service");
        String sts = DeployYaml.str(experts, "metadata.name");
        assertThat(DeployYaml.str(so, "spec.scaleTargetRef.kind")).isEqualTo("StatefulSet");
        assertThat(DeployYaml.str(so, "spec.scaleTargetRef.name")).isEqualTo(sts);
        int min = ((Number) DeployYaml.at(so, "spec.minReplicaCount")).intValue();
        int max = ((Number) DeployYaml.at(so, "spec.maxReplicaCount")).intValue();
        assertThat(min).as("never below the start-up plan").isEqualTo(((Number) DeployYaml.at(experts, "spec.replicas")).intValue());
        assertThat(max).as("moe.dispatch has a partition per instance").isLessThanOrEqualTo(topicsJobPartitions("DISPATCH_PARTITIONS"));
        List<Map<String, Object>> triggers = DeployYaml.maps(DeployYaml.at(so, "spec.triggers"));
        assertThat(triggers).as("one trigger per instance that may exist").hasSize(max);
        for (int i = 0; i < max; i++) {
            Map<String, Object> t = triggers.get(i);
            assertThat(t.get("type")).isEqualTo("kafka");
            Map<String, Object> m = DeployYaml.map(t.get("metadata"));
            assertThat(m.get("topic")).isEqualTo(Topics.DISPATCH);
            // instance sts-i commits under this group (expert-service ExpertKafkaClients) and reads partition i
            assertThat(m.get("consumerGroup")).isEqualTo(Code.expertDispatchGroup(sts + "-" + i));
            assertThat(m.get("partitionLimitation")).isEqualTo(String.valueOf(i));
            assertThat(m.get("allowIdleConsumers")).isEqualTo("true");
            assertThat(Code.hostPort(String.valueOf(m.get("bootstrapServers"))))
                    .as("KEDA runs in its own namespace: the broker's full name").isEqualTo("kafka." + BASE.namespace() + ".svc.cluster.local:9092");
        }
    }

    @Test
    void topicsJobRunsTheSharedScriptOnTheBrokerImage() {
        Map<String, Object> gen = DeployYaml.maps(BASE.kustomization.get("configMapGenerator")).stream()
                .filter(g -> "kafka-topics-script".equals(g.get("name"))).findFirst().orElseThrow();
        assertThat(BASE.dir.resolve(String.valueOf(DeployYaml.list(gen.get("files")).getFirst()))).isEqualTo(Code.topicsScript());
        Map<String, Object> job = BASE.get("Job", "kafka-topics");
        Map<String, Object> c = DeployYaml.maps(DeployYaml.at(job, "spec.template.spec.containers")).getFirst();
        String mountPath = DeployYaml.maps(c.get("volumeMounts")).getFirst().get("mountPath").toString();
        assertThat(String.join(" ", DeployYaml.list(c.get("command")).stream().map(String::valueOf).toList()))
                .contains(mountPath + "/" + Code.topicsScript().getFileName());
        assertThat(DeployYaml.maps(DeployYaml.at(job, "spec.template.spec.volumes")).getFirst().get("configMap"))
                .isEqualTo(Map.of("name", "kafka-topics-script"));
        String brokerImage = String.valueOf(K8s.containers(BASE.get("StatefulSet", "kafka")).getFirst().get("image"));
        assertThat(brokerImage).isEqualTo("apache/kafka:" + Code.kafkaClientVersion());
        assertThat(c.get("image")).isEqualTo(brokerImage);
        assertThat(Code.scriptTopics(Code.topicsScript())).containsExactlyInAnyOrderElementsOf(Code.topics());
    }

    @Test
    void apiKeysComeFromASecretThatIsNotCommitted() {
        assertThat(BASE.ofKind("Secret")).as("no Secret in the kustomization").isEmpty();
        Map<String, Object> ref = DeployYaml.maps(BASE.container("gateway").get("env")).stream()
                .filter(e -> "MOESERVE_API_KEYS".equals(e.get("name"))).findFirst().orElseThrow();
        String secret = DeployYaml.str(ref, "valueFrom.secretKeyRef.name"), key = DeployYaml.str(ref, "valueFrom.secretKeyRef.key");
        Map<String, Object> example = DeployYaml.load(BASE.dir.resolve("api-keys.secret.example.yaml"));
        assertThat(DeployYaml.str(example, "metadata.name")).isEqualTo(secret);
        assertThat(DeployYaml.str(example, "metadata.namespace")).isEqualTo(BASE.namespace());
        assertThat(DeployYaml.mapAt(example, "stringData")).containsOnlyKeys(key).containsEntry(key, "REPLACE_WITH_YOUR_KEYS");
        assertThat(DeployYaml.list(BASE.kustomization.get("resources"))).doesNotContain("api-keys.secret.example.yaml");
    }

    @Test
    void onlyTheGatewayIsReachableFromOutside() {
        for (Map<String, Object> svc : BASE.ofKind("Service")) {
            String type = String.valueOf(DeployYaml.at(svc, "spec.type"));
            if (Set.of("LoadBalancer", "NodePort").contains(type)) {
                assertThat(DeployYaml.str(svc, "metadata.name")).as("exposed Service").isEqualTo("gateway");
            }
        }
        List<Map<String, Object>> policies = BASE.ofKind("NetworkPolicy");
        assertThat(policies).anySatisfy(p -> {
            assertThat(DeployYaml.mapAt(p, "spec.podSelector")).isEmpty();
            assertThat(DeployYaml.listAt(p, "spec.policyTypes")).containsExactly("Ingress");
            assertThat(DeployYaml.at(p, "spec.ingress")).isNull();
        });
        for (Map<String, Object> p : policies) {
            for (Map<String, Object> rule : DeployYaml.maps(DeployYaml.at(p, "spec.ingress"))) {
                if (rule.get("from") == null) {
                    assertThat(DeployYaml.mapAt(p, "spec.podSelector.matchLabels")).as(DeployYaml.str(p, "metadata.name") + " admits anyone")
                            .containsEntry("app.kubernetes.io/name", "gateway");
                }
            }
        }
        for (ServiceModule s : ServiceModule.all()) {
            Map<String, String> labels = BASE.podLabels(BASE.workload(s.name()));
            assertThat(policies).as(s.name() + " is admitted by a policy on its port").anySatisfy(p -> {
                Map<String, Object> sel = DeployYaml.mapAt(p, "spec.podSelector.matchLabels");
                assertThat(sel).isNotEmpty();
                sel.forEach((k, v) -> assertThat(labels).containsEntry(k, String.valueOf(v)));
                List<Object> ports = DeployYaml.maps(DeployYaml.at(p, "spec.ingress")).stream()
                        .flatMap(r -> DeployYaml.maps(r.get("ports")).stream().map(x -> x.get("port"))).map(x -> (Object) x).toList();
                assertThat(ports).contains(K8s.port(BASE.container(s.name()), "http"));
            });
        }
    }

    @Test
    void everyServiceHasADisruptionBudget() {
        for (ServiceModule s : ServiceModule.all()) {
            Map<String, String> labels = BASE.podLabels(BASE.workload(s.name()));
            assertThat(BASE.ofKind("PodDisruptionBudget")).as(s.name()).anySatisfy(pdb ->
                    DeployYaml.mapAt(pdb, "spec.selector.matchLabels").forEach((k, v) -> assertThat(labels).containsEntry(k, String.valueOf(v))));
        }
    }

    @Test
    void kustomizationsListOnlyExistingFiles() {
        for (String dir : List.of("ops/k8s/base", "ops/k8s/overlays/tiny", "ops/k8s/monitoring", "ops/k8s/planner")) {
            Path d = Repo.root().resolve(dir);
            Map<String, Object> k = DeployYaml.load(d.resolve("kustomization.yaml"));
            for (Object r : DeployYaml.list(k.get("resources"))) assertThat(d.resolve(String.valueOf(r))).as(dir + " resource").exists();
            for (Map<String, Object> g : DeployYaml.maps(k.get("configMapGenerator"))) {
                for (Object f : DeployYaml.list(g.get("files"))) {
                    String file = String.valueOf(f);
                    assertThat(d.resolve(file.contains("=") ? file.substring(file.indexOf('=') + 1) : file)).as(dir + " generator file").exists();
                }
            }
            for (Map<String, Object> p : DeployYaml.maps(k.get("patches"))) {
                if (p.containsKey("path")) assertThat(d.resolve(String.valueOf(p.get("path")))).exists();
            }
        }
    }

    /** Renders every kustomization with kubectl's built-in kustomize, when kubectl is installed. */
    @Test
    void kustomizationsRender() throws Exception {
        String kubectl = List.of(System.getenv("PATH").split(File.pathSeparator)).stream().map(p -> Path.of(p, "kubectl"))
                .filter(Files::isExecutable).map(Path::toString).findFirst().orElse(null);
        assumeTrue(kubectl != null, "kubectl not installed: kustomize rendering not checked");
        assertThat(render(kubectl, "ops/k8s/base")).contains("kind: ScaledObject", "name: kafka-topics-script-");
        String tiny = render(kubectl, "ops/k8s/overlays/tiny");
        assertThat(tiny).doesNotContain("kind: PersistentVolumeClaim\n").doesNotContain("claimName: moeserve-model")
                .contains("image: moeserve/tiny-moe-model:");
        assertThat(tiny).contains("image: moeserve/planner:");
        assertThat(render(kubectl, "ops/k8s/planner")).contains("kind: Deployment", "name: planner").doesNotContain("kind: Role");
        assertThat(render(kubectl, "ops/k8s/monitoring", "--load-restrictor", "LoadRestrictionsNone"))
                .contains("name: grafana-dashboards-", "name: prometheus-config-");
    }

    private static String render(String kubectl, String dir, String... extra) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(kubectl, "kustomize"));
        cmd.addAll(List.of(extra));
        cmd.add(Repo.root().resolve(dir).toString());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(String.join(" ", cmd) + ":\n" + out).isZero();
        return out;
    }
}
