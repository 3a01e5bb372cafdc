package io.moeserve.contract.deploy;

import com.sun.net.httpserver.HttpServer;
import io.moeserve.contract.support.Repo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The shell scripts the images run, executed here with bash as the containers would. */
class ContainerScriptsTest {

    record Result(int exit, String out) {
    }

    static Result bash(String script, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("bash", Repo.root().resolve(script).toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        assertThat(p.waitFor(20, TimeUnit.SECONDS)).as(script + " finished").isTrue();
        return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip());
    }

    /** A compose replica's container name gives its instance index (name n -> index n-1). */
    @ParameterizedTest
    @CsvSource({
            "moeserve-expert-service-1.moeserve_default., 0",
            "moeserve-expert-service-3.moeserve_default., 2",
            "moeserve-expert-service-12, 11",
            "moeserve_expert-service_2, 1"})
    void replicaIndexComesFromTheContainerName(String name, String index) throws Exception {
        Result r = bash("ops/docker/expert-entrypoint.sh", "--replica-index", name);
        assertThat(r.exit()).isZero();
        assertThat(r.out()).isEqualTo(index);
    }

    @Test
    void aNameWithoutReplicaNumberIsRefused() throws Exception {
        assertThat(bash("ops/docker/expert-entrypoint.sh", "--replica-index", "expert-service").exit()).isNotZero();
        assertThat(bash("ops/docker/expert-entrypoint.sh", "--replica-index", "").exit()).isNotZero();
    }

    @Test
    void httpOkPassesOnlyOn2xx() throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/up", ex -> {
            ex.sendResponseHeaders(200, 2);
            ex.getResponseBody().write("ok".getBytes(StandardCharsets.UTF_8));
            ex.close();
        });
        server.createContext("/down", ex -> {
            ex.sendResponseHeaders(503, -1);
            ex.close();
        });
        server.start();
        try {
            String port = String.valueOf(server.getAddress().getPort());
            assertThat(bash("ops/docker/http-ok", port, "/up").exit()).isZero();
            assertThat(bash("ops/docker/http-ok", port, "/down").exit()).isEqualTo(1);
            assertThat(bash("ops/docker/http-ok", port, "/missing").exit()).isEqualTo(1);
            assertThat(bash("ops/docker/http-ok", String.valueOf(closedPort()), "/up").exit()).isEqualTo(1);
        } finally {
            server.stop(0);
        }
    }

    @Test
    void topicScriptIsValidBash() throws Exception {
        Process p = new ProcessBuilder("bash", "-n", Code.topicsScript().toString()).redirectErrorStream(true).start();
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isZero();
    }

    private static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
