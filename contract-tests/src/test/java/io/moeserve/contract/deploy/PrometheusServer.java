package io.moeserve.contract.deploy;

import io.moeserve.contract.support.Http;
import io.moeserve.contract.support.Repo;
import tools.jackson.databind.JsonNode;

import java.io.File;
import java.net.ServerSocket;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A real Prometheus (Debian's package) on a free loopback port with a given configuration and the
 * shipped rules.yml next to it, for tests that let it scrape running services.
 */
final class PrometheusServer implements AutoCloseable {
    private final Process process;
    private final int port;
    private final Path log;

    private PrometheusServer(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    static PrometheusServer start(String config, Path workDir) throws Exception {
        String bin = List.of(System.getenv("PATH").split(File.pathSeparator)).stream().map(d -> Path.of(d, "prometheus"))
                .filter(Files::isExecutable).map(Path::toString).findFirst()
                .orElseThrow(() -> new AssertionError("prometheus is needed: apt-get install prometheus (.ci/run installs it)"));
        Files.writeString(workDir.resolve("prometheus.yml"), config);
        Files.copy(Repo.root().resolve("ops/prometheus/rules.yml"), workDir.resolve("rules.yml"));
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path log = workDir.resolve("prometheus.log");
        Process p = new ProcessBuilder(bin, "--config.file=" + workDir.resolve("prometheus.yml"),
                "--storage.tsdb.path=" + workDir.resolve("data"), "--web.listen-address=127.0.0.1:" + port)
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        PrometheusServer server = new PrometheusServer(p, port, log);
        server.await("ready", () -> Http.get(server.url("/-/ready"), null).status() == 200, Duration.ofSeconds(30));
        return server;
    }

    String url(String path) {
        return "http://127.0.0.1:" + port + path;
    }

    /** The result vector of an instant query. */
    JsonNode query(String promql) throws Exception {
        Http.Reply r = Http.get(url("/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8)), null);
        assertThat(r.status()).as(promql + ": " + r.body()).isEqualTo(200);
        return r.json().path("data").path("result");
    }

    /** Polls query until its result satisfies want; fails with the last result and Prometheus's log. */
    JsonNode awaitQuery(String promql, Predicate<JsonNode> want, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        JsonNode last = null;
        while (System.nanoTime() < deadline) {
            last = query(promql);
            if (want.test(last)) return last;
            Thread.sleep(1000);
        }
        throw new AssertionError("Prometheus query " + promql + " never satisfied the test; last result " + last
                + "\ntargets: " + Http.get(url("/api/v1/targets"), null).body() + "\nlog:\n" + Files.readString(log));
    }

    interface Check {
        boolean ok() throws Exception;
    }

    private void await(String what, Check check, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) throw new AssertionError("prometheus exited:\n" + Files.readString(log));
            try {
                if (check.ok()) return;
            } catch (java.io.IOException notYet) {
                // not listening yet
            }
            Thread.sleep(200);
        }
        throw new AssertionError("prometheus not " + what + " within " + timeout + ":\n" + Files.readString(log));
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
    }
}
