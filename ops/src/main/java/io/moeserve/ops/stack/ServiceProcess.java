package io.moeserve.ops.stack;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Starts one service of the local stack as a detached child process (it outlives {@code moe up}),
 * its output in run/logs/NAME.log, and waits for its health URL.
 */
final class ServiceProcess {
    static final List<String> VECTOR_FLAGS = List.of("--add-modules", "jdk.incubator.vector",
            "--enable-native-access=ALL-UNNAMED");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private ServiceProcess() {
    }

    static Path java() {
        return Path.of(System.getProperty("java.home"), "bin", "java");
    }

    static StackState.Service start(String name, List<String> command, Path runDir, int port) throws IOException {
        Path logs = runDir.resolve("logs");
        Files.createDirectories(logs);
        Path log = logs.resolve(name + ".log");
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.to(log.toFile()));
        pb.environment().put("DJL_OFFLINE", "true");
        pb.environment().put("OPT_OUT_TRACKING", "true");
        Process p = pb.start();
        return new StackState.Service(name, p.pid(), port, log.toString());
    }

    static List<String> javaJar(Path jar, String heap, List<String> args) {
        return javaJar(jar, heap, List.of(), args);
    }

    static List<String> javaJar(Path jar, String heap, List<String> jvmOptions, List<String> args) {
        List<String> cmd = new ArrayList<>(List.of(java().toString(), "-Xmx" + heap, "-XX:+UseSerialGC"));
        cmd.addAll(jvmOptions);
        cmd.addAll(VECTOR_FLAGS);
        cmd.addAll(List.of("-jar", jar.toString()));
        cmd.addAll(args);
        return cmd;
    }

    /** Polls url until it answers 2xx, the process dies, or the timeout passes. */
    static void awaitHealthy(StackState.Service s, String url, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (ProcessHandle.of(s.pid()).map(ph -> !ph.isAlive()).orElse(true)) {
                throw new IllegalStateException(s.name() + " exited during start-up; see " + s.log());
            }
            try {
                HttpResponse<Void> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(2)).build(),
                        HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() / 100 == 2) return;
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException(s.name() + " did not become healthy within " + timeout.toSeconds() + " s; see " + s.log());
    }

    static void stop(StackState.Service s, Duration grace) {
        ProcessHandle.of(s.pid()).ifPresent(ph -> {
            ph.destroy();
            try {
                ph.onExit().get(grace.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                ph.destroyForcibly();
            }
        });
    }
}
