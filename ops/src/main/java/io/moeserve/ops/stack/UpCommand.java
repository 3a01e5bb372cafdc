package io.moeserve.ops.stack;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code moe up}: the whole stack on this machine, each service its own process: a Kafka broker
 * (KRaft), N expert services, the kv-cache service (on the local Redis), the router and the gateway.
 * Returns once every service is healthy and prints where to send requests; {@code moe down} stops it.
 */
@Command(name = "up", description = "Start the local stack (Kafka, experts, kv-cache, router, gateway).")
public final class UpCommand implements Callable<Integer> {
    @Option(names = "--experts", defaultValue = "2", description = "expert-service processes (default ${DEFAULT-VALUE})")
    int experts;

    @Option(names = "--routers", defaultValue = "1", description = "router replicas (default ${DEFAULT-VALUE})")
    int routers;

    @Option(names = "--port", defaultValue = "8080", description = "gateway port (default ${DEFAULT-VALUE})")
    int port;

    @Option(names = "--api-key", description = "API key clients must send (default: MOESERVE_API_KEYS, else a new random key)")
    String apiKey;

    @Option(names = "--model", defaultValue = "models/tiny-moe")
    Path model;

    @Option(names = "--model-id", defaultValue = "tiny-moe")
    String modelId;

    @Option(names = "--kafka-port", defaultValue = "9092")
    int kafkaPort;

    @Option(names = "--monolithic", description = "router computes the experts itself: no Kafka, no expert services")
    boolean monolithic;

    @Option(names = "--no-planner", description = "do not start the live placement planner (moe planner, port 8084)")
    boolean noPlanner;

    @Option(names = "--no-prefix-cache", description = "do not use the shared KV cache")
    boolean noPrefixCache;

    @Option(names = "--run-dir", defaultValue = "run", description = "pids, logs and Kafka data (default ${DEFAULT-VALUE})")
    Path runDir;

    @Option(names = "--timeout", defaultValue = "240", description = "seconds to wait for the stack to be healthy")
    int timeoutSeconds;

    @Override
    public Integer call() throws Exception {
        Path root = Repo.root();
        Path run = root.resolve(runDir);
        Path modelDir = model.isAbsolute() ? model : root.resolve(model);
        StackState old = StackState.load(run);
        if (old.services().stream().anyMatch(s -> ProcessHandle.of(s.pid()).map(ProcessHandle::isAlive).orElse(false))) {
            throw new IllegalStateException("a stack is already running (" + StackState.file(run) + "); run `moe down` first");
        }
        String key = apiKey != null ? apiKey : firstKey(System.getenv("MOESERVE_API_KEYS"));
        if (key == null) key = "sk-moe-" + HexFormat.of().formatHex(new SecureRandom().generateSeed(12));
        Duration timeout = Duration.ofSeconds(timeoutSeconds);
        requireRedis();
        List<StackState.Service> started = new ArrayList<>();
        StackState state = new StackState("http://127.0.0.1:" + port + "/v1", key, started);
        try {
            String bootstrap = "127.0.0.1:" + kafkaPort;
            if (!monolithic) {
                // Serial GC like the services: G1's parallel and concurrent GC threads on a shared 2-core
                // machine stretched the broker's young pauses to tens of ms, stalling every hop meanwhile.
                StackState.Service kafka = ServiceProcess.start("kafka", List.of(ServiceProcess.java().toString(), "-Xmx512m",
                        "-XX:+UseSerialGC", "-jar", Repo.jar(root, "kafka-local", "kafka-local.jar").toString(),
                        "--port", String.valueOf(kafkaPort), "--dir", run.resolve("kafka").toString()), run, kafkaPort);
                started.add(kafka);
                state.save(run);
                awaitPort(kafka, kafkaPort, timeout);
                for (int i = 0; i < experts; i++) {
                    int p = 8090 + i;
                    started.add(ServiceProcess.start("expert-" + i, ServiceProcess.javaJar(
                            Repo.jar(root, "expert-service", "expert-service.jar"), "768m", kernelOptions(), List.of(
                                    "--server.port=" + p,
                                    "--moeserve.expert.instance-id=expert-" + i,
                                    "--moeserve.expert.partition=" + i,
                                    "--moeserve.expert.plan.round-robin-instances=" + experts,
                                    "--moeserve.expert.model-dir=" + modelDir,
                                    "--moeserve.expert.kafka.bootstrap-servers=" + bootstrap)), run, p));
                    state.save(run);
                }
                if (!noPlanner) {
                    started.add(ServiceProcess.start("planner", ServiceProcess.javaJar(Repo.jar(root, "ops", "moe-ops.jar"), "512m",
                            List.of("planner", "--port", "8084", "--bootstrap", bootstrap, "--model-dir", modelDir.toString(),
                                    "--round-robin-instances", String.valueOf(experts))), run, 8084));
                    state.save(run);
                }
            }
            if (!noPrefixCache) {
                started.add(ServiceProcess.start("kv-cache", ServiceProcess.javaJar(
                        Repo.jar(root, "kv-cache-service", "kv-cache-service.jar"), "256m", List.of("--server.port=8083")), run, 8083));
                state.save(run);
            }
            List<String> routerUrls = new ArrayList<>();
            for (int r = 0; r < routers; r++) {
                int p = r == 0 ? 8081 : 8190 + r; // experts use 8090.., kv-cache 8083
                routerUrls.add("http://127.0.0.1:" + p);
                List<String> args = new ArrayList<>(List.of(
                        "--server.port=" + p,
                        "--moeserve.router.model-dir=" + modelDir,
                        "--moeserve.router.model-id=" + modelId,
                        "--moeserve.router.experts=" + (monolithic ? "local" : "kafka"),
                        "--moeserve.router.prefix-cache.enabled=" + !noPrefixCache,
                        "--moeserve.router.dispatch.router-id=" + r,
                        "--moeserve.router.dispatch.round-robin-instances=" + experts,
                        "--moeserve.router.dispatch.bootstrap-servers=" + bootstrap));
                started.add(ServiceProcess.start(routers == 1 ? "router" : "router-" + r,
                        ServiceProcess.javaJar(Repo.jar(root, "router-service", "router-service.jar"), "1g",
                                monolithic ? List.of() : kernelOptions(), args), run, p));
                state.save(run);
            }
            started.add(startGateway(root, run, key, routerUrls));
            state.save(run);
            for (StackState.Service s : started) {
                if (s.name().equals("kafka")) continue;
                ServiceProcess.awaitHealthy(s, healthUrl(s), timeout);
            }
        } catch (Exception e) {
            System.err.println("moe up: start-up failed, stopping what was started");
            new DownCommand().stopAll(run);
            throw e;
        }
        System.out.println("moeserve is up: " + state.services().size() + " processes, logs in " + run.resolve("logs"));
        System.out.println("  base URL : " + state.baseUrl());
        System.out.println("  API key  : " + key);
        System.out.println("  model    : " + modelId);
        System.out.println("  try      : curl " + state.baseUrl() + "/chat/completions -H 'Authorization: Bearer " + key
                + "' -H 'Content-Type: application/json' -d '{\"model\":\"" + modelId
                + "\",\"messages\":[{\"role\":\"user\",\"content\":\"In the beginning\"}],\"max_tokens\":32}'");
        if (!monolithic && !noPlanner) System.out.println("  planner  : http://127.0.0.1:8084/status (POST /replan to re-plan now)");
        System.out.println("  stop     : ops/bin/moe down");
        return 0;
    }

    private StackState.Service startGateway(Path root, Path run, String key, List<String> routerUrls) throws IOException {
        List<String> cmd = ServiceProcess.javaJar(Repo.jar(root, "gateway", "gateway.jar"), "512m", List.of(
                "--server.port=" + port,
                "--moeserve.gateway.routers=" + String.join(",", routerUrls),
                "--moeserve.gateway.api-keys=" + key));
        return ServiceProcess.start("gateway", cmd, run, port);
    }

    /**
     * Kernel threads per process when several compute processes share this machine's cores: the
     * kernels' idle workers spin for a moment after each region, which on an oversubscribed machine
     * steals the CPU the broker and the other processes need for the next hop.
     */
    private List<String> kernelOptions() {
        int cores = Runtime.getRuntime().availableProcessors();
        int share = Math.max(1, cores / (experts + routers));
        return List.of("-Dmoeserve.threads=" + share, "-Dmoeserve.spinMicros=" + (share < cores ? 20 : 200));
    }

    private static String healthUrl(StackState.Service s) {
        return switch (s.name().replaceAll("-\\d+$", "")) {
            case "gateway", "router", "planner" -> "http://127.0.0.1:" + s.port() + "/health";
            default -> "http://127.0.0.1:" + s.port() + "/actuator/health";
        };
    }

    private static String firstKey(String keys) {
        if (keys == null || keys.isBlank()) return null;
        return keys.split(",")[0].trim();
    }

    private static void requireRedis() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", 6379), 1000);
        } catch (IOException e) {
            throw new IllegalStateException("Redis is not answering on 127.0.0.1:6379 (rate limits and the shared KV cache "
                    + "need it): start it with `redis-server --daemonize yes --save \"\"`");
        }
    }

    private static void awaitPort(StackState.Service s, int port, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (ProcessHandle.of(s.pid()).map(ph -> !ph.isAlive()).orElse(true)) {
                throw new IllegalStateException(s.name() + " exited during start-up; see " + s.log());
            }
            try (Socket sock = new Socket()) {
                sock.connect(new InetSocketAddress("127.0.0.1", port), 500);
                return;
            } catch (IOException e) {
                Thread.sleep(250);
            }
        }
        throw new IllegalStateException(s.name() + " is not listening on " + port + " after " + timeout.toSeconds() + " s");
    }
}
