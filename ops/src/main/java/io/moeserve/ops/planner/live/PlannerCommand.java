package io.moeserve.ops.planner.live;

import tools.jackson.databind.json.JsonMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.moeserve.core.model.ModelConfig;
import io.moeserve.core.placement.PlacementPlan;
import io.moeserve.core.placement.PlacementPlans;
import io.moeserve.ops.planner.ModelShape;
import io.moeserve.ops.planner.solve.GreedySolver;
import io.moeserve.ops.planner.solve.IlpSolver;
import io.moeserve.ops.planner.solve.PlacementSolver;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;

/**
 * {@code moe planner}: the live re-planning service. HTTP on {@code --port}: {@code GET /status},
 * {@code POST /replan} (re-plan now), {@code GET /plan} (the plan in force), {@code POST /plan}
 * (publish the plan JSON in the body as the next version), {@code GET /health}, {@code GET /metrics}
 * (Prometheus text).
 */
@Command(name = "planner", mixinStandardHelpOptions = true,
        description = "Live placement planner: re-plans from routing statistics and membership, publishes on moe.placement.")
public final class PlannerCommand implements java.util.concurrent.Callable<Integer> {

    @Option(names = "--bootstrap", defaultValue = "127.0.0.1:9092", description = "Kafka bootstrap servers (default: ${DEFAULT-VALUE})")
    String bootstrap;
    @Option(names = "--model-dir", defaultValue = "models/tiny-moe", description = "model directory (shape, expert sizes)")
    Path modelDir;
    @Option(names = "--port", defaultValue = "8084", description = "HTTP port for /status, /replan, /plan (default: ${DEFAULT-VALUE})")
    int port;
    @Option(names = "--solver", defaultValue = "ilp", description = "ilp or greedy (default: ${DEFAULT-VALUE})")
    String solver;
    @Option(names = "--time-limit", defaultValue = "5", description = "solver time limit, seconds (default: ${DEFAULT-VALUE})")
    double timeLimit;
    @Option(names = "--replicas", defaultValue = "0", description = "extra expert copies per layer (default: ${DEFAULT-VALUE})")
    int replicas;
    @Option(names = "--round-robin-instances", defaultValue = "2",
            description = "instances of the services' start-up round-robin plan (default: ${DEFAULT-VALUE})")
    int roundRobinInstances;
    @Option(names = "--alpha", defaultValue = "0.3", description = "moving-average weight of the newest window (default: ${DEFAULT-VALUE})")
    double alpha;
    @Option(names = "--stats-window", defaultValue = "10s", description = "planner window (default: ${DEFAULT-VALUE})")
    String statsWindow;
    @Option(names = "--imbalance", defaultValue = "1.15", description = "re-plan when predicted max/mean exceeds this (default: ${DEFAULT-VALUE})")
    double imbalance;
    @Option(names = "--min-improvement", defaultValue = "0.03", description = "publish an imbalance re-plan only if max/mean drops this much")
    double minImprovement;
    @Option(names = "--cooldown", defaultValue = "60s", description = "least time between imbalance re-plans (default: ${DEFAULT-VALUE})")
    String cooldown;
    @Option(names = "--heartbeat-timeout", defaultValue = "6s", description = "an instance silent this long has left (default: ${DEFAULT-VALUE})")
    String heartbeatTimeout;
    @Option(names = "--startup-grace", defaultValue = "120s",
            description = "time instances of the plan in force get to send a first heartbeat (default: ${DEFAULT-VALUE})")
    String startupGrace;
    @Option(names = "--no-create-topics", description = "do not create missing topics (where an operator or a job owns them)")
    boolean noCreateTopics;
    @Option(names = "--ack-timeout", defaultValue = "30s", description = "re-plan when a proposal is not acked within (default: ${DEFAULT-VALUE})")
    String ackTimeout;

    @Override
    public Integer call() throws Exception {
        if (!solver.equals("ilp") && !solver.equals("greedy")) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--solver must be ilp or greedy, got '" + solver + "'");
        }
        ModelConfig config = ModelConfig.load(modelDir);
        String modelId = modelDir.getFileName().toString();
        PlacementPlan baseline = PlacementPlans.roundRobin(modelId, config.numLayers(), config.numExperts(),
                PlacementPlans.uniformInstances(roundRobinInstances, Long.MAX_VALUE));
        PlacementSolver s = solver.equals("ilp") ? new IlpSolver() : new GreedySolver();
        if (s instanceof IlpSolver) IlpSolver.loadNatives();
        Duration heartbeat = duration(heartbeatTimeout);
        var settings = new LivePlanner.Settings(bootstrap, baseline, config.topK(), ModelShape.of(modelId, config).expertBytes(), replicas,
                s, timeLimit, alpha, duration(statsWindow), heartbeat, heartbeat, duration(startupGrace),
                new ReplanPolicy.Settings(imbalance, duration(cooldown), duration(ackTimeout)), minImprovement, !noCreateTopics);
        try (LivePlanner planner = new LivePlanner(settings).start()) {
            HttpServer http = serve(planner);
            System.out.println("planner on http://127.0.0.1:" + port + "/status (Kafka " + bootstrap + ")");
            CountDownLatch stop = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                http.stop(0);
                stop.countDown();
            }));
            stop.await();
        }
        return 0;
    }

    private HttpServer serve(LivePlanner planner) throws IOException {
        JsonMapper json = JsonMapper.builder().build();
        HttpServer http = HttpServer.create(new InetSocketAddress("0.0.0.0", port), 16);
        http.setExecutor(Executors.newFixedThreadPool(2));
        http.createContext("/health", ex -> reply(ex, 200, "{\"status\":\"UP\"}"));
        http.createContext("/metrics", ex -> {
            byte[] b = planner.prometheus().getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
            ex.sendResponseHeaders(200, b.length);
            try (var out = ex.getResponseBody()) {
                out.write(b);
            }
        });
        http.createContext("/status", ex -> reply(ex, 200, json.writeValueAsString(planner.status())));
        http.createContext("/replan", ex -> {
            if (!ex.getRequestMethod().equals("POST")) {
                reply(ex, 405, error("use POST"));
                return;
            }
            planner.requestReplan();
            reply(ex, 202, "{\"requested\":true}");
        });
        http.createContext("/plan", ex -> {
            if (ex.getRequestMethod().equals("GET")) {
                reply(ex, 200, PlacementPlans.toJson(planner.active()));
                return;
            }
            if (!ex.getRequestMethod().equals("POST")) {
                reply(ex, 405, error("use GET or POST"));
                return;
            }
            try {
                String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
                PlacementPlan p = planner.propose(PlacementPlans.fromJson(body), "operator");
                reply(ex, 202, json.writeValueAsString(Map.of("version", p.version())));
            } catch (IllegalArgumentException e) {
                reply(ex, 400, error(e.getMessage()));
            } catch (RuntimeException e) {
                reply(ex, 503, error(e.getMessage()));
            }
        });
        http.start();
        return http;
    }

    private static String error(String message) {
        return JsonMapper.builder().build().writeValueAsString(Map.of("error", Map.of("message", String.valueOf(message))));
    }

    private static void reply(HttpExchange ex, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, b.length);
        try (var out = ex.getResponseBody()) {
            out.write(b);
        }
    }

    static Duration duration(String s) {
        String t = s.trim().toLowerCase(java.util.Locale.ROOT);
        try {
            if (t.endsWith("ms")) return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
            if (t.endsWith("s")) return Duration.ofMillis(Math.round(Double.parseDouble(t.substring(0, t.length() - 1)) * 1000));
            if (t.endsWith("m")) return Duration.ofMinutes(Long.parseLong(t.substring(0, t.length() - 1)));
            return Duration.ofMillis(Math.round(Double.parseDouble(t) * 1000));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a duration: '" + s + "' (use e.g. 500ms, 10s, 2m)");
        }
    }
}
