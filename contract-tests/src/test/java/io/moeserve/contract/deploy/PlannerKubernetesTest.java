package io.moeserve.contract.deploy;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * ops/k8s/planner against PlannerCommand's options and ops/k8s/base: one planner, on the Kafka the
 * NetworkPolicy lets it reach, after the topics Job, with the experts' model volume and start-up plan,
 * a start-up grace that covers the experts' startupProbe, experts given time to drain, no API access;
 * and the tiny overlay runs it with the model from the image.
 */
class PlannerKubernetesTest {
    static final K8s BASE = KubernetesDeploymentTest.BASE, PLANNER = K8s.of("ops/k8s/planner");
    static final ServiceModule EXPERT = ServiceModule.named("expert-service");

    static Map<String, String> options() {
        return PlannerComposeTest.CLI.effective(DeployYaml.list(PLANNER.container("planner").get("args")).stream().map(String::valueOf).toList());
    }

    @Test
    void onePlannerRunsItsImageInTheNamespaceWithoutApiAccess() {
        Map<String, Object> w = PLANNER.workload("planner");
        assertThat(w.get("kind")).isEqualTo("Deployment");
        assertThat(DeployYaml.at(w, "spec.replicas")).as("two planners would both propose").isEqualTo(1);
        assertThat(DeployYaml.str(w, "spec.strategy.type")).as("the old one stops before the new one starts").isEqualTo("Recreate");
        String tag = DeployYaml.str(ComposeDeploymentTest.COMPOSE.service("gateway"), "image").split(":")[1];
        assertThat(String.valueOf(PLANNER.container("planner").get("image"))).isEqualTo("moeserve/planner:" + tag);
        assertThat(PLANNER.namespace()).isEqualTo(BASE.namespace());
        assertThat(DeployYaml.at(w, "spec.template.spec.automountServiceAccountToken")).as("membership is on Kafka").isEqualTo(false);
        for (String kind : List.of("Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding")) assertThat(PLANNER.ofKind(kind)).isEmpty();
    }

    @Test
    void plannerReachesKafkaAfterTheTopicsJob() {
        String kafka = BASE.serviceAddress("kafka");
        assertThat(Code.hostPort(options().get("--bootstrap"))).isEqualTo(kafka);
        Map<String, String> kafkaPods = BASE.podLabels(BASE.get("StatefulSet", "kafka")), plannerPods = PLANNER.podLabels(PLANNER.workload("planner"));
        int port = Integer.parseInt(kafka.split(":")[1]);
        assertThat(BASE.ofKind("NetworkPolicy")).as("a policy admits the planner to Kafka on " + port)
                .anySatisfy(p -> assertThat(admits(p, kafkaPods, plannerPods, port)).isTrue());
        // it creates missing topics with defaults at start: the Job's (partitions, retention) must come first
        Map<String, Object> wait = DeployYaml.maps(DeployYaml.at(PLANNER.workload("planner"), "spec.template.spec.initContainers")).getFirst();
        assertThat(wait.get("image")).isEqualTo(K8s.containers(BASE.get("StatefulSet", "kafka")).getFirst().get("image"));
        Map<String, String> env = new HashMap<>();
        DeployYaml.maps(wait.get("env")).forEach(e -> env.put(String.valueOf(e.get("name")), String.valueOf(e.get("value"))));
        assertThat(env).containsEntry("BOOTSTRAP", kafka).containsEntry("TOPIC", List.copyOf(Code.scriptTopics(Code.topicsScript())).getLast());
        assertThat(String.join(" ", DeployYaml.list(wait.get("command")).stream().map(String::valueOf).toList())).contains("$TOPIC", "$BOOTSTRAP");
    }

    /** Whether the policy selects target pods and lets source pods (same namespace) in on port. */
    static boolean admits(Map<String, Object> policy, Map<String, String> target, Map<String, String> source, int port) {
        if (!subset(DeployYaml.mapAt(policy, "spec.podSelector.matchLabels"), target)) return false;
        return DeployYaml.maps(DeployYaml.at(policy, "spec.ingress")).stream().anyMatch(rule ->
                DeployYaml.maps(rule.get("ports")).stream().anyMatch(p -> String.valueOf(port).equals(String.valueOf(p.get("port"))))
                        && DeployYaml.maps(rule.get("from")).stream().anyMatch(peer -> peer.get("namespaceSelector") == null
                        && subset(DeployYaml.mapAt(peer, "podSelector.matchLabels"), source)));
    }

    private static boolean subset(Map<String, Object> selector, Map<String, String> labels) {
        return !selector.isEmpty() && selector.entrySet().stream().allMatch(e -> String.valueOf(e.getValue()).equals(labels.get(e.getKey())));
    }

    @Test
    void plannerPlansTheExpertStatefulSetFromItsModelVolume() {
        Map<String, String> o = options();
        Map<String, Object> experts = BASE.workload("expert-service");
        assertThat(o.get("--round-robin-instances")).as("the experts' start-up plan")
                .isEqualTo(String.valueOf(DeployYaml.at(experts, "spec.replicas")))
                .isEqualTo(KubernetesDeploymentTest.effective(EXPERT, "moeserve.expert.plan.round-robin-instances"));
        String modelDir = KubernetesDeploymentTest.effective(EXPERT, "moeserve.expert.model-dir");
        assertThat(o.get("--model-dir")).as("plans name the model by this directory").isEqualTo(modelDir);
        assertThat(claimMountedAt(PLANNER, "planner", modelDir)).isEqualTo(claimMountedAt(BASE, "expert-service", modelDir));
    }

    /** The PVC mounted read-only at path in the service's container. */
    private static String claimMountedAt(K8s k, String service, String path) {
        Map<String, Object> mount = DeployYaml.maps(k.container(service).get("volumeMounts")).stream()
                .filter(m -> path.equals(m.get("mountPath"))).findFirst().orElseThrow(() -> new AssertionError(service + " mounts nothing at " + path));
        assertThat(mount.get("readOnly")).as(service + " mounts " + path + " read-only").isEqualTo(true);
        return DeployYaml.maps(DeployYaml.at(k.workload(service), "spec.template.spec.volumes")).stream()
                .filter(v -> mount.get("name").equals(v.get("name"))).map(v -> DeployYaml.str(v, "persistentVolumeClaim.claimName"))
                .findFirst().orElseThrow();
    }

    @Test
    void expertsGetTimeToStartAndToDrain() {
        Map<String, String> o = options();
        Function<String, String> expert = key -> KubernetesDeploymentTest.effective(EXPERT, key);
        Map<String, Object> startup = DeployYaml.map(BASE.container("expert-service").get("startupProbe"));
        long budget = ((Number) startup.get("periodSeconds")).longValue() * ((Number) startup.get("failureThreshold")).longValue();
        assertThat(PlannerCli.duration(o.get("--startup-grace")).toSeconds()).as("covers the experts' startupProbe budget")
                .isGreaterThanOrEqualTo(budget);
        assertThat(PlannerCli.duration(o.get("--heartbeat-timeout"))).as("one late heartbeat does not plan an instance out")
                .isGreaterThanOrEqualTo(ExpertMembership.heartbeatInterval(expert).multipliedBy(2));
        Number grace = (Number) DeployYaml.at(BASE.workload("expert-service"), "spec.template.spec.terminationGracePeriodSeconds");
        assertThat(grace == null ? 30 : grace.longValue()).as("expert terminationGracePeriodSeconds")
                .isGreaterThan(ExpertMembership.drainTime(expert).toSeconds());
    }

    @Test
    void plannerListensWhereItsServiceAndProbesPoint() {
        Map<String, Object> c = PLANNER.container("planner");
        int port = Integer.parseInt(options().get("--port"));
        assertThat(K8s.port(c, "http")).isEqualTo(port);
        List<Map<String, Object>> services = PLANNER.servicesSelecting(PLANNER.podLabels(PLANNER.workload("planner")));
        assertThat(services).isNotEmpty().allSatisfy(svc -> DeployYaml.maps(DeployYaml.at(svc, "spec.ports"))
                .forEach(p -> assertThat(K8s.port(c, p.get("targetPort"))).isEqualTo(port)));
        for (String probe : List.of("startupProbe", "readinessProbe", "livenessProbe")) {
            assertThat(K8s.port(c, DeployYaml.at(c, probe + ".httpGet.port"))).as(probe).isEqualTo(port);
            assertThat(PlannerComposeTest.CLI.serves(DeployYaml.str(c, probe + ".httpGet.path"))).as(probe + " path").isTrue();
        }
        if (Boolean.TRUE.equals(DeployYaml.at(c, "securityContext.readOnlyRootFilesystem"))) {
            assertThat(DeployYaml.maps(c.get("volumeMounts"))).as("OR-Tools unpacks its natives into a writable /tmp")
                    .anySatisfy(m -> assertThat(m.get("mountPath")).isEqualTo("/tmp"));
        }
    }

    @Test
    void tinyOverlayRunsThePlannerWithTheModelFromTheImage() {
        K8s tiny = K8s.of("ops/k8s/overlays/tiny");
        assertThat(DeployYaml.list(tiny.kustomization.get("resources")).stream().map(r -> tiny.dir.resolve(String.valueOf(r)).normalize()))
                .contains(PLANNER.dir.normalize());
        List<Map<String, Object>> patches = DeployYaml.maps(tiny.kustomization.get("patches"));
        String experts = DeployYaml.str(BASE.workload("expert-service"), "metadata.name");
        String plannerName = DeployYaml.str(PLANNER.workload("planner"), "metadata.name");
        // the patch that takes the experts' model volume off the PVC (which the overlay deletes)
        Object modelPatch = patches.stream().filter(p -> p.get("path") != null && experts.matches(String.valueOf(DeployYaml.str(p, "target.name")))
                        && ServiceModule.read(tiny.dir.resolve(String.valueOf(p.get("path")))).contains("persistentVolumeClaim: null"))
                .map(p -> p.get("path")).findFirst().orElseThrow(() -> new AssertionError("tiny: no model patch for the experts"));
        assertThat(patches).as("the experts' model patch also applies to the planner").anySatisfy(p -> {
            assertThat(p.get("path")).isEqualTo(modelPatch);
            assertThat(DeployYaml.str(p, "target.kind")).isEqualTo("Deployment");
            assertThat(plannerName).matches(DeployYaml.str(p, "target.name"));
        });
    }
}
