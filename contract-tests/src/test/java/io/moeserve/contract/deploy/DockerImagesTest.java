package io.moeserve.contract.deploy;

import io.moeserve.contract.support.Repo;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Each service's Dockerfile: the jar its module really builds, extracted into Spring Boot's layers, on
 * the Java 25 JRE, as a non-root user, exposing the service's port, with the Vector API flags where
 * the engine runs; the planner's image runs the ops jar's planner command on the same base; and
 * .dockerignore lets the files every image copies into the build context.
 */
class DockerImagesTest {
    static final String PLANNER_DOCKERFILE = "ops/Dockerfile";

    @Test
    void eachImageRunsTheJarItsModuleBuilds() {
        for (ServiceModule s : ServiceModule.all()) {
            Dockerfile d = Dockerfile.of(s);
            assertThat(d.all("FROM")).as(s.name() + " stages").allSatisfy(f -> assertThat(f).startsWith("eclipse-temurin:25-jre"));
            assertThat(d.contextSources()).as(s.name() + " copies its jar").contains(s.name() + "/target/" + s.jarName());
            assertThat(d.all("RUN")).as(s.name() + " extracts layers")
                    .anySatisfy(r -> assertThat(r).contains("-Djarmode=tools", "extract --layers --launcher"));
            List<String> fromLayers = d.all("COPY").stream().filter(c -> c.contains("--from=")).toList();
            for (String layer : List.of("dependencies", "spring-boot-loader", "snapshot-dependencies", "application")) {
                assertThat(fromLayers).as(s.name() + " copies layer " + layer).anySatisfy(c -> assertThat(c).contains("/" + layer + "/"));
            }
            assertThat(d.launchText()).as(s.name() + " launcher").contains("org.springframework.boot.loader.launch.JarLauncher");
        }
    }

    @Test
    void imagesRunAsNonRootAndExposeTheServicePort() {
        for (ServiceModule s : ServiceModule.all()) {
            Dockerfile d = Dockerfile.of(s);
            String user = d.last("USER").orElseThrow(() -> new AssertionError(s.name() + " runs as root"));
            assertThat(user.split(":")[0]).as(s.name() + " user (numeric, so runAsNonRoot can verify it)").matches("[1-9][0-9]*");
            assertThat(d.all("EXPOSE")).as(s.name() + " port").containsExactly(String.valueOf(s.port(Set.of("docker"), Map.of())));
            assertThat(d.contextSources()).as(s.name() + " health-check helper").contains("ops/docker/http-ok");
        }
    }

    @Test
    void engineServicesStartWithTheVectorApiAndNativeAccess() {
        List<ServiceModule> engine = ServiceModule.all().stream().filter(Code::runsEngine).toList();
        assertThat(engine).extracting(ServiceModule::name).containsExactlyInAnyOrder("router-service", "expert-service");
        for (ServiceModule s : engine) {
            String launch = Dockerfile.of(s).launchText();
            assertThat(launch).as(s.name()).contains("--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED");
        }
    }

    @Test
    void plannerImageRunsThePlannerCommandOfTheOpsJar() {
        PlannerCli cli = PlannerCli.read();
        Dockerfile d = Dockerfile.at(PLANNER_DOCKERFILE);
        List<String> serviceBases = ServiceModule.all().stream().map(s -> Dockerfile.of(s).runtimeBase()).distinct().toList();
        assertThat(d.all("FROM")).as("the services' base image").allSatisfy(f -> assertThat(serviceBases).contains(f.split("\\s+")[0]));
        assertThat(d.contextSources()).contains(cli.jar(), "ops/docker/http-ok");
        String jarInImage = d.imagePathOf(cli.jar()).orElseThrow(() -> new AssertionError(d.file() + " does not copy " + cli.jar()));
        List<String> ep = d.entrypoint();
        int jar = ep.indexOf("-jar");
        assertThat(jar).as("java -jar").isPositive();
        assertThat(ep.subList(jar + 1, ep.size())).as("the copied jar's planner command").startsWith(jarInImage, cli.command());
        assertThat(ServiceModule.read(Repo.root().resolve("ops/src/main/java/io/moeserve/ops/MoeCli.java"))).contains("PlannerCommand.class");
        // OR-Tools loads its solver over JNI: the flag, or the jar manifest's entry (java -jar honours it)
        assertThat(ep.contains("--enable-native-access=ALL-UNNAMED")
                || ServiceModule.read(Repo.root().resolve("ops/pom.xml")).contains("<Enable-Native-Access>ALL-UNNAMED</Enable-Native-Access>"))
                .as("native access").isTrue();
        String user = d.last("USER").orElseThrow(() -> new AssertionError("the planner image runs as root"));
        assertThat(user.split(":")[0]).matches("[1-9][0-9]*");
    }

    /** Every image docker-compose.yml builds (the services' and the planner's). */
    static Map<String, Dockerfile> composeImages() {
        Map<String, Dockerfile> out = new java.util.TreeMap<>();
        ComposeDeploymentTest.COMPOSE.services().forEach((name, svc) -> {
            String file = DeployYaml.str(svc, "build.dockerfile");
            if (file != null) out.put(name, Dockerfile.at(file));
        });
        return out;
    }

    @Test
    void dockerignoreAdmitsExactlyWhatTheImagesCopy() {
        List<String> rules = List.of(ServiceModule.read(Repo.root().resolve(".dockerignore")).split("\n")).stream()
                .map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        assertThat(rules.getFirst()).as("everything else stays out of the context").isEqualTo("*");
        assertThat(composeImages()).containsKeys("planner").containsKeys(ServiceModule.names().toArray(String[]::new));
        for (var image : composeImages().entrySet()) {
            for (String src : image.getValue().contextSources()) {
                assertThat(rules).as(image.getKey() + " copies " + src)
                        .anySatisfy(r -> assertThat(src.equals(r.substring(1)) || (r.endsWith("/") && src.startsWith(r.substring(1)))
                                && r.startsWith("!")).isTrue());
                assertThat(Repo.root().resolve(src).getParent()).exists();
            }
        }
    }
}
