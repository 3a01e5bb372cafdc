package io.moeserve.ops.planner;

import io.moeserve.core.model.ModelConfig;
import io.moeserve.core.placement.InstanceSpec;
import io.moeserve.core.placement.PlacementPlan;
import io.moeserve.core.placement.PlacementPlans;
import io.moeserve.ops.planner.solve.ContiguousSolver;
import io.moeserve.ops.planner.solve.CostWeights;
import io.moeserve.ops.planner.solve.GreedySolver;
import io.moeserve.ops.planner.solve.IlpSolver;
import io.moeserve.ops.planner.solve.PlacementSolver;
import io.moeserve.ops.planner.solve.RoundRobinSolver;
import io.moeserve.ops.planner.trace.RoutingTrace;
import io.moeserve.ops.planner.trace.SyntheticTraces;
import io.moeserve.ops.planner.trace.TraceReader;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code moe plan}: expert placement from a routing trace (or a synthetic one), with
 * {@code --compare} measuring round-robin, contiguous, greedy (EPLB) and the ILP side by side.
 */
@Command(name = "plan", sortOptions = false, description = {
        "Plan expert placement from routing statistics and compare methods.",
        "The trace is split into --windows windows; after each the moving average of the statistics is",
        "updated and every method re-plans from its own previous plan; each plan is measured (through",
        "the router's ReplicaSelector) on the window it was planned for, or the next with --evaluate next."})
public final class PlanCommand implements Callable<Integer> {

    static final List<String> METHODS = List.of("round-robin", "contiguous", "greedy", "ilp");

    @Spec
    CommandSpec spec;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    static final class Source {
        @Option(names = "--trace", paramLabel = "FILE", description = "routing trace CSV (seq,pos,l0,l1,...)")
        Path trace;

        @Option(names = "--synthetic", paramLabel = "SHAPE", description = "mixtral | qwen3-30b-a3b | deepseek-v3")
        String synthetic;
    }

    @Option(names = "--experts", paramLabel = "E", description = "experts per layer of the trace's model")
    Integer experts;

    @Option(names = "--model", paramLabel = "DIR", description = "model directory: experts and expert size from config.json")
    Path model;

    @Option(names = "--instances", paramLabel = "N", required = true, description = "expert-service instances")
    int instances;

    @Option(names = "--replicas", paramLabel = "R", defaultValue = "0",
            description = "extra expert copies per layer over all instances (default ${DEFAULT-VALUE})")
    int replicas;

    @Option(names = "--time-limit", paramLabel = "S", defaultValue = "60", description = "ILP seconds per plan (default ${DEFAULT-VALUE})")
    double timeLimit;

    @Option(names = "--previous", paramLabel = "PLAN", description = "plan in force before the first window (migration is measured against it)")
    Path previous;

    @Option(names = "--windows", paramLabel = "W", defaultValue = "4", description = "re-plan windows (default ${DEFAULT-VALUE})")
    int windows;

    @Option(names = "--tokens-per-window", defaultValue = "4096", description = "synthetic tokens per window (default ${DEFAULT-VALUE})")
    int tokensPerWindow;

    @Option(names = "--seed", defaultValue = "42", description = "synthetic trace and search seed (default ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--compare", description = "run all four methods")
    boolean compare;

    @Option(names = "--method", defaultValue = "ilp", description = "method without --compare, and whose plan --out writes (default ${DEFAULT-VALUE})")
    String method;

    @Option(names = "--out", paramLabel = "plan.json", description = "write the last plan of --method")
    Path out;

    @Option(names = "--html", paramLabel = "report.html", description = "write a heatmap report")
    Path html;

    @Option(names = "--json", description = "print one JSON object instead of a table")
    boolean json;

    @Option(names = "--evaluate", defaultValue = "same", description = "same | next: window each plan is measured on (default ${DEFAULT-VALUE})")
    String evaluate;

    @Option(names = "--speeds", split = ",", description = "relative speed per instance (default all 1)")
    List<Double> speeds;

    @Option(names = "--memory-bytes", description = "expert memory per instance (default: ceil((E+R)/N) experts per layer)")
    Long memoryBytes;

    @Option(names = "--expert-bytes", description = "bytes of one expert (default: from the shape or --model; tiny-moe for a bare trace)")
    Long expertBytes;

    @Option(names = "--w-straggler", defaultValue = "1.0", description = "objective weight of straggler time (default ${DEFAULT-VALUE})")
    double wStraggler;

    @Option(names = "--w-messages", description = "objective weight of messages per token (default 0.3 / instances)")
    Double wMessages;

    @Option(names = "--w-migration", defaultValue = "0.05", description = "objective weight per GiB moved (default ${DEFAULT-VALUE})")
    double wMigration;

    @Option(names = "--balance-slack", defaultValue = "0.005",
            description = "ILP straggler may exceed greedy's by this fraction (negative: no cap; default ${DEFAULT-VALUE})")
    double balanceSlack;

    @Option(names = "--alpha", defaultValue = "1.0",
            description = "moving-average weight of the newest window; 1 = plan from that window alone (default ${DEFAULT-VALUE})")
    double alpha;

    @Option(names = "--threads", description = "threads for the ILP (default: available processors)")
    Integer threads;

    @Override
    public Integer call() {
        if (instances < 1) throw new IllegalArgumentException("--instances must be at least 1, got " + instances);
        if (windows < 1) throw new IllegalArgumentException("--windows must be at least 1, got " + windows);
        if (!evaluate.equals("same") && !evaluate.equals("next")) {
            throw new IllegalArgumentException("--evaluate must be 'same' or 'next', got '" + evaluate + "'");
        }
        if (!METHODS.contains(method)) {
            throw new IllegalArgumentException("--method must be one of " + String.join(", ", METHODS) + ", got '" + method + "'");
        }
        Input in = input();
        ModelShape shape = in.shape();
        if (in.trace().tokens() < windows) {
            throw new IllegalArgumentException("trace has " + in.trace().tokens() + " tokens, fewer than --windows " + windows);
        }
        List<InstanceSpec> specs = instanceSpecs(shape);
        PlacementPlan prev = previous == null ? null : PlacementPlans.read(previous);
        if (prev != null && (prev.numLayers() != shape.layers() || prev.numExperts() != shape.experts())) {
            throw new IllegalArgumentException("--previous plan has " + prev.numLayers() + " layers x " + prev.numExperts()
                    + " experts but the trace has " + shape.layers() + " x " + shape.experts());
        }
        CostWeights weights = new CostWeights(wStraggler, wMessages != null ? wMessages : CostWeights.defaults(instances).messages(), wMigration,
                balanceSlack);
        List<PlacementSolver> solvers = new ArrayList<>();
        for (String name : compare ? METHODS : List.of(method)) solvers.add(solver(name));
        if (solvers.stream().anyMatch(s -> s instanceof IlpSolver)) IlpSolver.loadNatives();
        int nThreads = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        PlanComparison.Options o = new PlanComparison.Options(shape.name(), specs, replicas, shape.expertBytes(), windows,
                alpha, weights, timeLimit, nThreads, seed, prev, evaluate.equals("next"));
        List<PlanComparison.MethodReport> reports = PlanComparison.run(in.trace(), solvers, o);
        PrintWriter w = spec.commandLine().getOut();
        if (json) w.println(toJson(reports));
        else printTable(w, shape, reports);
        w.flush();
        if (out != null) {
            PlanComparison.MethodReport chosen = reports.stream().filter(r -> r.name().equals(method)).findFirst()
                    .orElse(reports.getLast());
            PlacementPlans.write(chosen.plan(), out);
        }
        if (html != null) {
            write(html, HtmlReport.render("moe plan: " + shape.name() + " on " + instances + " instances, "
                    + replicas + " replica slots", reports));
        }
        return 0;
    }

    private record Input(ModelShape shape, RoutingTrace trace) {
    }

    private Input input() {
        if (source.synthetic != null) {
            if (experts != null || model != null) {
                throw new IllegalArgumentException("--synthetic defines its own experts: drop --experts/--model");
            }
            ModelShape shape = ModelShape.synthetic(source.synthetic);
            if (expertBytes != null) shape = new ModelShape(shape.name(), shape.layers(), shape.experts(), shape.topK(), expertBytes);
            return new Input(shape, SyntheticTraces.generate(shape, windows, tokensPerWindow, seed));
        }
        ModelConfig config = model == null ? null : ModelConfig.load(model);
        if (experts == null && config == null) {
            throw new IllegalArgumentException("--trace needs --experts E (or --model DIR): the trace does not say how many experts a layer has");
        }
        if (experts != null && config != null && experts != config.numExperts()) {
            throw new IllegalArgumentException("--experts " + experts + " does not match the model's " + config.numExperts() + " experts");
        }
        int e = experts != null ? experts : config.numExperts();
        RoutingTrace trace = TraceReader.read(source.trace, e);
        if (config != null && trace.layers() != config.numLayers()) {
            throw new IllegalArgumentException("trace " + source.trace + " has " + trace.layers() + " layers but the model has "
                    + config.numLayers());
        }
        if (config != null && trace.topK() != config.topK()) {
            throw new IllegalArgumentException("trace " + source.trace + " chooses " + trace.topK() + " experts per token but the model's top-k is "
                    + config.topK());
        }
        String name = config != null ? model.getFileName().toString() : source.trace.getFileName().toString();
        long bytes = expertBytes != null ? expertBytes
                : config != null ? ModelShape.of(name, config).expertBytes() : ModelShape.TINY_MOE.expertBytes();
        return new Input(new ModelShape(name, trace.layers(), e, trace.topK(), bytes), trace);
    }

    private List<InstanceSpec> instanceSpecs(ModelShape shape) {
        if (speeds != null && speeds.size() != instances) {
            throw new IllegalArgumentException("--speeds lists " + speeds.size() + " values for " + instances + " instances");
        }
        long perInstance = memoryBytes != null ? memoryBytes
                : (long) Math.ceilDiv(shape.experts() + replicas, instances) * shape.layers() * shape.expertBytes();
        List<InstanceSpec> specs = new ArrayList<>(instances);
        for (int i = 0; i < instances; i++) {
            double speed = speeds == null ? 1.0 : speeds.get(i);
            if (!(speed > 0)) throw new IllegalArgumentException("--speeds: instance " + i + " has speed " + speed + " (must be > 0)");
            specs.add(new InstanceSpec("expert-" + i, i, perInstance, speed, ""));
        }
        return specs;
    }

    private static PlacementSolver solver(String name) {
        return switch (name) {
            case "round-robin" -> new RoundRobinSolver();
            case "contiguous" -> new ContiguousSolver();
            case "greedy" -> new GreedySolver();
            case "ilp" -> new IlpSolver();
            default -> throw new IllegalArgumentException("unknown method " + name);
        };
    }

    static String toJson(List<PlanComparison.MethodReport> reports) {
        JsonMapper mapper = JsonMapper.builder().build();
        ObjectNode root = mapper.createObjectNode();
        ArrayNode methods = root.putArray("methods");
        for (PlanComparison.MethodReport r : reports) {
            ObjectNode m = methods.addObject();
            m.put("name", r.name());
            putNumber(m, "max_mean_load", r.maxMeanLoad());
            putNumber(m, "max_mean_load_p99", r.maxMeanLoadP99());
            putNumber(m, "messages_per_token", r.messagesPerToken());
            m.put("migration_bytes", r.migrationBytes());
            putNumber(m, "solve_seconds", r.solveSeconds());
            putNumber(m, "gap", r.gap());
        }
        return mapper.writeValueAsString(root);
    }

    private static void putNumber(ObjectNode m, String key, double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) m.putNull(key);
        else m.put(key, v);
    }

    private void printTable(PrintWriter w, ModelShape shape, List<PlanComparison.MethodReport> reports) {
        w.printf(Locale.ROOT, "%s: %d layers x %d experts (top-%d), %d instances, %d replica slots/layer, %d windows, measured on the %s window%n",
                shape.name(), shape.layers(), shape.experts(), shape.topK(), instances, replicas, windows,
                evaluate.equals("next") ? "next" : "same");
        w.printf(Locale.ROOT, "%-12s %9s %9s %10s %18s %9s %8s  %s%n", "method", "max/mean", "p99", "msgs/tok", "migration/replan",
                "solve s", "gap", "status");
        for (PlanComparison.MethodReport r : reports) {
            w.printf(Locale.ROOT, "%-12s %9.4f %9.4f %10.4f %18s %9.2f %8s  %s%n", r.name(), r.maxMeanLoad(), r.maxMeanLoadP99(),
                    r.messagesPerToken(), bytes(r.migrationBytes()), r.solveSeconds(),
                    Double.isNaN(r.gap()) ? "-" : String.format(Locale.ROOT, "%.2f%%", 100 * r.gap()), r.status());
        }
        w.println("max/mean: busiest instance's tokens over the mean, averaged over layers (p99 over windows);"
                + " msgs/tok: distinct instances per token and layer.");
    }

    static String bytes(long b) {
        if (b < 1024) return b + " B";
        if (b < 1L << 20) return String.format(Locale.ROOT, "%.1f KiB", b / 1024.0);
        if (b < 1L << 30) return String.format(Locale.ROOT, "%.1f MiB", b / (double) (1L << 20));
        return String.format(Locale.ROOT, "%.1f GiB", b / (double) (1L << 30));
    }

    private static void write(Path file, String text) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
