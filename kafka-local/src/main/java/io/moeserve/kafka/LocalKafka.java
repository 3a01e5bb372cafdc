package io.moeserve.kafka;

import io.moeserve.core.kafka.KafkaTopics;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * A real Apache Kafka broker (KRaft, broker+controller, one node) running as a child JVM, for tests
 * and the local stack. {@link #start} returns once the broker answers metadata requests. The child
 * exits when {@link #stop()}/{@link #kill()} is called, when this JVM exits, or when this JVM dies
 * (it watches its stdin pipe), so no broker outlives its owner.
 *
 * <pre>{@code
 * try (LocalKafka kafka = LocalKafka.start(tmpDir, 0)) {
 *     kafka.createTopics(Map.of("moe.dispatch", 3, "moe.combine", 1));
 *     ... kafka.bootstrapServers() ...
 * }
 * }</pre>
 */
public final class LocalKafka implements AutoCloseable {
    /** Overrides the broker classpath (e.g. {@code kafka-local/target/kafka-local.jar}). */
    public static final String CLASSPATH_PROPERTY = "moeserve.kafka.classpath";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);

    private final Process process;
    private final String host;
    private final int port;
    private final Path dir;
    private final Path log;
    private final Thread reaper;

    private LocalKafka(Process process, String host, int port, Path dir, Path log) {
        this.process = process;
        this.host = host;
        this.port = port;
        this.dir = dir;
        this.log = log;
        this.reaper = new Thread(process::destroyForcibly, "local-kafka-reaper");
        Runtime.getRuntime().addShutdownHook(reaper);
    }

    /** Starts a broker on 127.0.0.1:{@code port} (0 = any free port) storing its data in {@code dataDir}. */
    public static LocalKafka start(Path dataDir, int port) {
        String host = "127.0.0.1";
        int p = port == 0 ? freePort() : port;
        int controllerPort = freePort();
        // Two probes can return the same just-released port: the broker would refuse two listeners on it.
        while (controllerPort == p) controllerPort = freePort();
        Path dir = dataDir.toAbsolutePath();
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create broker data dir " + dir, e);
        }
        Path log = dir.resolve("broker.log");
        long logStart = sizeOf(log);
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-Xms64m", "-XX:+ExitOnOutOfMemoryError", "-Djava.awt.headless=true",
                "-cp", brokerClasspath(), LocalKafkaMain.class.getName(),
                "--host", host, "--port", String.valueOf(p), "--controller-port", String.valueOf(controllerPort),
                "--dir", dir.toString(), "--exit-on-stdin-eof"));
        Process process;
        try {
            // stdin stays a pipe that we never close: the child exits when it sees EOF (this JVM gone).
            process = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the Kafka broker process", e);
        }
        LocalKafka kafka = new LocalKafka(process, host, p, dir, log);
        try {
            kafka.awaitReady(START_TIMEOUT, logStart);
        } catch (RuntimeException e) {
            kafka.kill();
            throw e;
        }
        return kafka;
    }

    /** A broker on a free port. */
    public static LocalKafka start(Path dataDir) {
        return start(dataDir, 0);
    }

    private static LocalKafka shared;

    /**
     * One broker per JVM for tests: started (in a temp dir, on a free port) on first use, reused by
     * every test class of the run, killed and deleted when the JVM exits. Tests sharing it use their
     * own partitions (instances, router ids) so they cannot see each other's messages.
     */
    public static synchronized LocalKafka shared() {
        if (shared == null || !shared.isAlive()) {
            Path dir;
            try {
                dir = Files.createTempDirectory("moe-kafka-");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            LocalKafka k = start(dir, 0);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                k.process.destroyForcibly();
                try {
                    k.process.waitFor(10, TimeUnit.SECONDS);
                } catch (InterruptedException ignored) {
                    // exiting anyway
                }
                deleteTree(dir);
            }, "local-kafka-cleanup"));
            shared = k;
        }
        return shared;
    }

    private static void deleteTree(Path dir) {
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException ignored) {
            // best effort at exit
        }
    }

    public String bootstrapServers() {
        return host + ":" + port;
    }

    public int port() {
        return port;
    }

    public Path dataDir() {
        return dir;
    }

    /** The child's stdout and stderr (Kafka's own log). */
    public Path logFile() {
        return log;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Creates the topics (name → at least this many partitions), or grows existing ones. */
    public void createTopics(Map<String, Integer> partitions) {
        KafkaTopics.ensure(bootstrapServers(), partitions.entrySet().stream()
                .map(e -> KafkaTopics.Spec.of(e.getKey(), e.getValue())).toList());
    }

    public void createTopics(List<KafkaTopics.Spec> specs) {
        KafkaTopics.ensure(bootstrapServers(), specs);
    }

    /** Graceful stop (SIGTERM: the broker closes its logs cleanly), forced after 30 s. */
    public void stop() {
        if (process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(30, TimeUnit.SECONDS)) process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
        }
        removeReaper();
    }

    /** Abrupt death (SIGKILL), as in a crash. */
    public void kill() {
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        removeReaper();
    }

    @Override
    public void close() {
        stop();
    }

    private void removeReaper() {
        try {
            Runtime.getRuntime().removeShutdownHook(reaper);
        } catch (IllegalStateException ignored) {
            // already shutting down: the hook is running or ran
        }
    }

    /**
     * Ready = this child printed its ready line (so a port owned by another broker is not mistaken
     * for ours) and the broker answers a metadata request.
     */
    private void awaitReady(Duration timeout, long logStart) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "2000");
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "3000");
        p.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "200");
        try (Admin admin = Admin.create(p)) {
            while (true) {
                if (!process.isAlive()) {
                    throw new IllegalStateException("the Kafka broker exited with code " + process.exitValue()
                            + " during start; last lines of " + log + ":\n" + tail(40));
                }
                try {
                    if (printedReadyLine(logStart) && !admin.describeCluster().nodes().get(3, TimeUnit.SECONDS).isEmpty()) return;
                } catch (Exception notYet) {
                    // broker still starting
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the Kafka broker did not become ready within " + timeout
                            + "; last lines of " + log + ":\n" + tail(40));
                }
                Thread.sleep(100);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the broker", e);
        }
    }

    private boolean printedReadyLine(long from) throws IOException {
        try (var ch = Files.newByteChannel(log)) {
            ch.position(from);
            byte[] rest = java.nio.channels.Channels.newInputStream(ch).readAllBytes();
            return new String(rest, StandardCharsets.UTF_8).contains(LocalKafkaMain.READY_LINE + bootstrapServers());
        }
    }

    private static long sizeOf(Path file) {
        try {
            return Files.exists(file) ? Files.size(file) : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    private String tail(int lines) {
        try {
            List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException | RuntimeException e) {
            return "(cannot read " + log + ": " + e + ")";
        }
    }

    /**
     * The child's classpath: this module's classes plus the broker dependencies recorded at build
     * time in broker-classpath.txt; {@value #CLASSPATH_PROPERTY} overrides it.
     */
    static String brokerClasspath() {
        String override = System.getProperty(CLASSPATH_PROPERTY, System.getenv("MOESERVE_KAFKA_CLASSPATH"));
        if (override != null && !override.isBlank()) return override;
        String own;
        try {
            own = Path.of(LocalKafkaMain.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
        try (InputStream in = LocalKafka.class.getResourceAsStream("broker-classpath.txt")) {
            if (in == null) return System.getProperty("java.class.path");
            String deps = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
            List<String> missing = Arrays.stream(deps.split(File.pathSeparator))
                    .filter(s -> !s.isBlank() && !Files.exists(Path.of(s))).toList();
            if (!missing.isEmpty()) {
                throw new IllegalStateException("the Kafka broker classpath names missing files (rebuild kafka-local, "
                        + "or set -D" + CLASSPATH_PROPERTY + "): " + missing);
            }
            return own + File.pathSeparator + deps;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port", e);
        }
    }
}
