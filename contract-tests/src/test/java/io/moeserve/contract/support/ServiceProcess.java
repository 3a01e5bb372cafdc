package io.moeserve.contract.support;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One service started from its jar as a child process on a free port, its output in
 * {@code contract-tests/target/stack-logs/NAME.log}. Stopped with SIGTERM (graceful), then killed.
 */
public final class ServiceProcess implements AutoCloseable {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final String name;
    private final int port;
    private final Process process;
    private final Path log;

    private ServiceProcess(String name, int port, Process process, Path log) {
        this.name = name;
        this.port = port;
        this.process = process;
        this.log = log;
    }

    /** java [vector flags] -jar JAR --server.port=PORT ARGS..., with DJL kept offline. */
    public static ServiceProcess startJar(String name, Path jar, List<String> args, Map<String, String> env) throws IOException {
        int port = freePort();
        List<String> cmd = new ArrayList<>(List.of(java(), "-Xmx768m", "--add-modules", "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED", "-jar", jar.toString(), "--server.port=" + port));
        cmd.addAll(args);
        Map<String, String> all = new java.util.HashMap<>(Map.of("DJL_OFFLINE", "true", "OPT_OUT_TRACKING", "true"));
        all.putAll(env);
        return launch(name, port, cmd, all);
    }

    /** java -jar JAR ARGS... --port=PORT: a command-line service such as {@code moe planner}. */
    public static ServiceProcess startCli(String name, Path jar, List<String> args) throws IOException {
        int port = freePort();
        List<String> cmd = new ArrayList<>(List.of(java(), "-Xmx512m", "-jar", jar.toString()));
        cmd.addAll(args);
        cmd.add("--port=" + port);
        return launch(name, port, cmd, Map.of());
    }

    private static String java() {
        return ProcessHandle.current().info().command().orElse("java");  // the JDK running the tests (25)
    }

    private static ServiceProcess launch(String name, int port, List<String> cmd, Map<String, String> env) throws IOException {
        Files.createDirectories(Repo.logDir());
        Path log = Repo.logDir().resolve(name + ".log");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(env);
        return new ServiceProcess(name, port, pb.start(), log);
    }

    public int port() {
        return port;
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + port;
    }

    /** Stops the process the way a crash does: SIGKILL, no shutdown hooks. */
    public void kill() throws InterruptedException {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Waits until GET /health answers 200; fails with the log's tail if the process dies or time runs out. */
    public void awaitHealthy(Duration timeout) throws Exception {
        awaitHealthy(timeout, "/health");
    }

    /** Waits until GET path answers 200. */
    public void awaitHealthy(Duration timeout, String path) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) throw new IllegalStateException(name + " exited with " + process.exitValue() + ":\n" + tail());
            try {
                HttpResponse<Void> r = HTTP.send(HttpRequest.newBuilder(URI.create(baseUrl() + path))
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() == 200) return;
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException(name + " was not healthy within " + timeout + ":\n" + tail());
    }

    private String tail() {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        }
    }
}
