package io.moeserve.contract.deploy;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The live placement planner in docker-compose.yml against its options (PlannerCommand) and the experts
 * it plans: same Kafka, same model directory (the plans' model id), the experts' start-up plan, a
 * start-up grace that covers the experts' start, and experts given time to drain when they leave.
 */
class PlannerComposeTest {
    static final PlannerCli CLI = PlannerCli.read();
    static final Compose COMPOSE = ComposeDeploymentTest.COMPOSE;
    static final ServiceModule EXPERT = ServiceModule.named("expert-service");

    static Map<String, String> options(Compose c) {
        return CLI.effective(DeployYaml.listAt(c.service("planner"), "command").stream().map(String::valueOf).toList());
    }

    @Test
    void plannerRunsItsImageOnTheExpertsKafkaAndModel() {
        Map<String, Object> svc = COMPOSE.service("planner");
        assertThat(DeployYaml.str(svc, "build.context")).isEqualTo(".");
        assertThat(DeployYaml.str(svc, "build.dockerfile")).isEqualTo(DockerImagesTest.PLANNER_DOCKERFILE);
        String tag = DeployYaml.str(COMPOSE.service("gateway"), "image").split(":")[1];
        assertThat(DeployYaml.str(svc, "image")).isEqualTo("moeserve/planner:" + tag);
        assertThat(DeployYaml.str(svc, "depends_on.kafka-init.condition")).as("topics first").isEqualTo("service_completed_successfully");
        Map<String, String> o = options(COMPOSE);
        String kafka = Code.hostPort(COMPOSE.env("kafka").get("KAFKA_ADVERTISED_LISTENERS").replace("PLAINTEXT://", ""));
        assertThat(Code.hostPort(o.get("--bootstrap"))).isEqualTo(kafka);

        String modelDir = ComposeDeploymentTest.effective(COMPOSE, EXPERT, "moeserve.expert.model-dir");
        assertThat(o.get("--model-dir")).as("plans name the model by this directory").isEqualTo(modelDir);
        assertThat(mountOf("planner", modelDir)).as("same host folder, read-only").isEqualTo(mountOf("expert-service", modelDir)).endsWith(":ro");
    }

    private static String mountOf(String service, String containerPath) {
        return DeployYaml.listAt(COMPOSE.service(service), "volumes").stream().map(String::valueOf)
                .filter(v -> v.split(":")[1].equals(containerPath)).findFirst()
                .orElseThrow(() -> new AssertionError(service + " mounts nothing at " + containerPath));
    }

    @Test
    void plannerStartsFromTheExpertsStartUpPlan() {
        for (String replicas : List.of("2", "5")) {
            Map<String, String> shell = new HashMap<>(ComposeDeploymentTest.SHELL);
            shell.put("EXPERT_REPLICAS", replicas);
            Compose c = Compose.load(shell);
            assertThat(options(c).get("--round-robin-instances")).as("EXPERT_REPLICAS=" + replicas)
                    .isEqualTo(DeployYaml.str(c.service("expert-service"), "deploy.replicas"))
                    .isEqualTo(ComposeDeploymentTest.effective(c, EXPERT, "moeserve.expert.plan.round-robin-instances"));
        }
    }

    @Test
    void plannerListensWhereItsHealthCheckAndPublishedPortPoint() {
        String port = options(COMPOSE).get("--port");
        List<String> published = DeployYaml.listAt(COMPOSE.service("planner"), "ports").stream().map(String::valueOf).toList();
        assertThat(published).hasSize(1);
        assertThat(published.getFirst()).as("this host only").startsWith("127.0.0.1:").endsWith(":" + port);
        String check = COMPOSE.healthcheck("planner");
        assertThat(check).startsWith("http-ok " + port + " ");
        assertThat(CLI.serves(check.split(" ")[2])).as("planner serves " + check).isTrue();
        assertThat(Dockerfile.at(DockerImagesTest.PLANNER_DOCKERFILE).all("EXPOSE")).containsExactly(port);
    }

    @Test
    void expertsGetTimeToStartAndToDrain() {
        Map<String, String> o = options(COMPOSE);
        Function<String, String> expert = key -> ComposeDeploymentTest.effective(COMPOSE, EXPERT, key);
        assertThat(PlannerCli.duration(o.get("--startup-grace"))).as("the planner waits out the experts' start_period")
                .isGreaterThanOrEqualTo(PlannerCli.duration(DeployYaml.str(COMPOSE.service("expert-service"), "healthcheck.start_period")));
        assertThat(PlannerCli.duration(o.get("--heartbeat-timeout"))).as("one late heartbeat does not plan an instance out")
                .isGreaterThanOrEqualTo(ExpertMembership.heartbeatInterval(expert).multipliedBy(2));
        Object grace = DeployYaml.at(COMPOSE.service("expert-service"), "stop_grace_period");
        assertThat(PlannerCli.duration(grace == null ? "10s" : String.valueOf(grace))).as("expert stop_grace_period (compose's default: 10s)")
                .isGreaterThan(ExpertMembership.drainTime(expert));
    }
}
