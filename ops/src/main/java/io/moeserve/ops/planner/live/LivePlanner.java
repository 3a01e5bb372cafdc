package io.moeserve.ops.planner.live;

import io.moeserve.core.kafka.ControlProducers;
import io.moeserve.core.kafka.MoeTopics;
import io.moeserve.core.kafka.PlacementFollower;
import io.moeserve.core.placement.InstanceSpec;
import io.moeserve.core.placement.PlacementPlan;
import io.moeserve.core.placement.PlacementPlans;
import io.moeserve.core.wire.Heartbeat;
import io.moeserve.core.wire.RoutingStatsMessage;
import io.moeserve.core.wire.Topics;
import io.moeserve.ops.planner.solve.CostWeights;
import io.moeserve.ops.planner.solve.PlacementSolver;
import io.moeserve.ops.planner.solve.PlanningProblem;
import io.moeserve.ops.planner.solve.Solution;
import io.moeserve.ops.planner.stats.MovingStats;
import io.moeserve.ops.planner.stats.WindowStats;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * The live half of the planner (DESIGN.md §5): follows routing statistics (moving average),
 * heartbeats (membership), plans and acks (what is in force), and proposes a new plan on
 * moe.placement when {@link ReplanPolicy} says so or an operator asks. Instances load and ack,
 * routers switch at a step boundary once all acked, instances unload after their grace period.
 * One decision loop thread; the Kafka readers only feed it.
 */
public final class LivePlanner implements AutoCloseable {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(LivePlanner.class);

    /**
     * @param baseline       the plan services start from before any plan is published (round-robin)
     * @param startupDelay   no decision before this (heartbeats and plans are read from their logs first)
     * @param startupGrace   how long an instance of the plan in force may take to send its first heartbeat
     * @param minImprovement a re-plan for imbalance is published only if it lowers predicted max/mean by this much
     * @param createTopics   create missing topics at start (off where an operator or a job owns them)
     */
    public record Settings(String bootstrapServers, PlacementPlan baseline, int topK, long expertBytes, int replicaSlots,
                           PlacementSolver solver, double timeLimitSeconds, double alpha, Duration statsWindow,
                           Duration heartbeatTimeout, Duration startupDelay, Duration startupGrace, ReplanPolicy.Settings policy,
                           double minImprovement, boolean createTopics) {
    }

    private final Settings s;
    private final Membership membership;
    private final ReplanPolicy policy;
    private final MovingStats moving;
    private final List<RoutingStatsMessage> window = new ArrayList<>();
    private final PlacementFollower follower;
    private final KafkaProducer<String, String> producer;
    private final KafkaConsumer<String, String> consumer;
    private final Thread reader;
    private final Thread decider;
    private final long startedAt = System.currentTimeMillis();
    private volatile boolean running = true;
    private volatile boolean requested;
    private volatile PlacementPlan active;
    private volatile PlacementPlan pending;
    private volatile long proposedAt;
    private volatile String lastReason = "";
    private volatile Solution lastSolution;
    private volatile long statsWindows;
    private long windowStart = System.currentTimeMillis();
    private final Map<String, java.util.concurrent.atomic.AtomicLong> proposals = new java.util.concurrent.ConcurrentHashMap<>();
    private final Map<String, java.util.concurrent.atomic.AtomicLong> rejected = new java.util.concurrent.ConcurrentHashMap<>();

    public LivePlanner(Settings settings) {
        this.s = settings;
        this.membership = new Membership(settings.heartbeatTimeout().toMillis());
        this.policy = new ReplanPolicy(settings.policy());
        this.moving = new MovingStats(settings.alpha());
        this.active = settings.baseline();
        this.proposedAt = startedAt;
        if (settings.createTopics()) MoeTopics.ensure(settings.bootstrapServers(), 1, 1);
        follower = new PlacementFollower(settings.bootstrapServers(), "moe-planner-plans", settings.baseline().version(), this::activated);
        Properties p = ControlProducers.base(settings.bootstrapServers(), "moe-planner");
        // Plans of big models are large JSON documents.
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, String.valueOf(16 * 1024 * 1024));
        // They compress well (repetitive JSON).
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "gzip");
        producer = ControlProducers.create(p);
        Properties c = new Properties();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers());
        c.put(ConsumerConfig.CLIENT_ID_CONFIG, "moe-planner-inputs");
        // No group: partitions are assigned by hand (heartbeats from the start, statistics from now on).
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        c.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, String.valueOf(16 * 1024 * 1024));
        consumer = new KafkaConsumer<>(c, new StringDeserializer(), new StringDeserializer());
        reader = new Thread(this::read, "planner-inputs");
        decider = new Thread(this::decide, "planner-decisions");
    }

    public LivePlanner start() {
        follower.onAck(a -> {
            if (a.status().equals(io.moeserve.core.wire.PlanAck.FAILED)) log.warn("instance {} could not load plan v{}: {}",
                    a.instance(), a.planVersion(), a.detail());
        }).onRejected(this::reject).start();
        reader.start();
        decider.start();
        return this;
    }

    /** Asks for a re-plan at the next decision (HTTP POST /replan). */
    public void requestReplan() {
        requested = true;
    }

    /** Publishes {@code plan} as the next version (HTTP POST /plan): an operator's own placement. */
    public synchronized PlacementPlan propose(PlacementPlan plan, String reason) {
        PlacementPlan base = active;
        if (plan.numLayers() != base.numLayers() || plan.numExperts() != base.numExperts()) {
            throw new IllegalArgumentException("plan is for " + plan.numLayers() + " x " + plan.numExperts() + " experts, the model has "
                    + base.numLayers() + " x " + base.numExperts());
        }
        long version = Math.max(base.version(), Math.max(pending == null ? 0 : pending.version(),
                follower.activation().proposed() == null ? 0 : follower.activation().proposed().version())) + 1;
        PlacementPlan next = plan.withVersion(version).validate();
        try {
            producer.send(new ProducerRecord<>(Topics.PLACEMENT, Topics.PLAN_KEY, PlacementPlans.toJson(next))).get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("plan v" + version + " could not be published: " + e, e);
        }
        pending = next;
        proposedAt = System.currentTimeMillis();
        lastReason = reason;
        proposals.computeIfAbsent(reason, r -> new java.util.concurrent.atomic.AtomicLong()).incrementAndGet();
        log.info("proposed plan v{} ({}) over {}", version, reason, next.instances().stream().map(InstanceSpec::id).toList());
        return next;
    }

    private void activated(PlacementPlan plan) {
        active = plan;
        if (pending != null && pending.version() <= plan.version()) pending = null;
        log.info("plan v{} is active", plan.version());
    }

    private void read() {
        var hb = new TopicPartition(Topics.HEARTBEATS, 0);
        var st = new TopicPartition(Topics.ROUTING_STATS, 0);
        try {
            consumer.assign(List.of(hb, st));
            consumer.seekToBeginning(List.of(hb));
            consumer.seekToEnd(List.of(st)); // windows from before this planner started describe an old load
            while (running) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.value() == null) continue;
                    try {
                        if (r.topic().equals(Topics.HEARTBEATS)) membership.onHeartbeat(Heartbeat.fromJson(r.value()));
                        else onStats(RoutingStatsMessage.fromJson(r.value()));
                    } catch (IllegalArgumentException e) {
                        reject(r.topic());
                        log.warn("ignored a record at {} offset {}: {}", r.topic(), r.offset(), e.getMessage());
                    }
                }
            }
        } catch (WakeupException e) {
            // closing
        } finally {
            consumer.close(Duration.ofSeconds(2));
        }
    }

    private void reject(String topic) {
        rejected.computeIfAbsent(topic, t -> new java.util.concurrent.atomic.AtomicLong()).incrementAndGet();
    }

    private synchronized void onStats(RoutingStatsMessage m) {
        if (m.layers() != s.baseline().numLayers() || m.experts() != s.baseline().numExperts()) {
            reject(Topics.ROUTING_STATS);
            log.warn("routing stats of router {} are for {} x {} experts; this planner plans {} x {}", m.routerId(), m.layers(),
                    m.experts(), s.baseline().numLayers(), s.baseline().numExperts());
            return;
        }
        window.add(m);
    }

    /** Routers publish on their own clocks: their windows within one planner window are summed, then averaged in. */
    private synchronized void rollWindow(long now) {
        if (now - windowStart < s.statsWindow().toMillis()) return;
        windowStart = now;
        if (window.isEmpty()) return;
        moving.update(LoadPrediction.toWindowStats(window));
        window.clear();
        statsWindows++;
    }

    private void decide() {
        while (running) {
            try {
                Thread.sleep(250);
                long now = System.currentTimeMillis();
                rollWindow(now);
                if (now - startedAt < s.startupDelay().toMillis()) continue; // let heartbeats and plans catch up
                List<InstanceSpec> members = startingCountAsMembers(membership.members(now), now);
                var reason = policy.reason(now, active, pending, proposedAt, members, moving.current(), requested);
                if (reason.isEmpty()) continue;
                requested = false;
                replan(members, reason.get());
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                log.error("re-plan failed; the plan in force stays", e);
                proposedAt = System.currentTimeMillis(); // back off for a cool-down
            }
        }
    }

    /**
     * While a stack starts, instances of the plan in force that have not sent a heartbeat yet are
     * starting, not gone: planning them out would move every expert twice.
     */
    private List<InstanceSpec> startingCountAsMembers(List<InstanceSpec> members, long now) {
        if (now - startedAt >= s.startupGrace().toMillis()) return members;
        List<InstanceSpec> out = new ArrayList<>(members);
        for (InstanceSpec i : active.instances()) {
            if (!membership.seen(i.id()) && out.stream().noneMatch(m -> m.id().equals(i.id()))) out.add(i);
        }
        return out;
    }

    private void replan(List<InstanceSpec> members, String reason) {
        WindowStats stats = moving.current() != null ? moving.current()
                : LoadPrediction.uniform(s.baseline().numLayers(), s.baseline().numExperts(), s.topK());
        PlacementPlan base = active;
        PlanningProblem problem = new PlanningProblem(base.modelId(), base.version() + 1, stats, members, s.replicaSlots(),
                s.expertBytes(), base, CostWeights.defaults(members.size()), s.timeLimitSeconds(), 1, 0);
        Solution sol = s.solver().solve(problem);
        lastSolution = sol;
        if (reason.equals("imbalance")) {
            double before = LoadPrediction.maxMean(base, stats);
            double after = LoadPrediction.maxMean(sol.plan(), stats);
            if (before - after < s.minImprovement()) {
                log.info("imbalance {} but the best plan found predicts {}: keeping v{}", fmt(before), fmt(after), base.version());
                proposedAt = System.currentTimeMillis();
                return;
            }
        }
        propose(sol.plan(), reason);
    }

    private static String fmt(double d) {
        return String.format(java.util.Locale.ROOT, "%.3f", d);
    }

    /** What GET /status shows. */
    public synchronized Map<String, Object> status() {
        Map<String, Object> out = new LinkedHashMap<>();
        PlacementPlan a = active;
        WindowStats st = moving.current();
        out.put("active_version", a.version());
        out.put("pending_version", pending == null ? null : pending.version());
        out.put("waiting_for", follower.activation().waitingFor());
        out.put("members", membership.members(System.currentTimeMillis()).stream().map(InstanceSpec::id).toList());
        out.put("active_instances", a.instances().stream().map(InstanceSpec::id).toList());
        out.put("last_reason", lastReason);
        out.put("stats_windows", statsWindows);
        if (st != null) {
            out.put("predicted_max_mean", LoadPrediction.maxMean(a, st));
            out.put("predicted_instance_load", LoadPrediction.perInstance(a, st));
        }
        Solution sol = lastSolution;
        if (sol != null) {
            out.put("last_solve", Map.of("method", sol.method(), "objective", sol.objective(), "gap", Double.isNaN(sol.gap()) ? -1 : sol.gap(),
                    "seconds", sol.seconds(), "status", sol.status()));
        }
        return out;
    }

    /** GET /metrics: Prometheus text format. */
    public String prometheus() {
        StringBuilder b = new StringBuilder();
        PlacementPlan a = active, p = pending;
        WindowStats st = moving.current();
        gauge(b, "moeserve_planner_plan_version", "plan version in force (active) and being rolled out (pending, 0 = none)");
        b.append("moeserve_planner_plan_version{state=\"active\"} ").append(a.version()).append('\n');
        b.append("moeserve_planner_plan_version{state=\"pending\"} ").append(p == null ? 0 : p.version()).append('\n');
        gauge(b, "moeserve_planner_members", "expert instances sending heartbeats");
        b.append("moeserve_planner_members ").append(membership.members(System.currentTimeMillis()).size()).append('\n');
        if (st != null) {
            gauge(b, "moeserve_planner_predicted_max_mean", "max/mean instance load the plan in force predicts under the moving statistics");
            b.append("moeserve_planner_predicted_max_mean ").append(LoadPrediction.maxMean(a, st)).append('\n');
        }
        b.append("# HELP moeserve_planner_proposals_total plans proposed, by reason\n# TYPE moeserve_planner_proposals_total counter\n");
        for (String r : List.of("membership", "ack-timeout", "request", "imbalance", "operator")) {
            var n = proposals.get(r);
            b.append("moeserve_planner_proposals_total{reason=\"").append(r).append("\"} ").append(n == null ? 0 : n.get()).append('\n');
        }
        b.append("# HELP moeserve_planner_rejected_records_total control records skipped (unparsable, unknown version, wrong shape)\n")
                .append("# TYPE moeserve_planner_rejected_records_total counter\n");
        for (String t : List.of(Topics.ROUTING_STATS, Topics.HEARTBEATS, Topics.PLACEMENT, Topics.PLACEMENT_ACKS)) {
            var n = rejected.get(t);
            b.append("moeserve_planner_rejected_records_total{topic=\"").append(t).append("\"} ").append(n == null ? 0 : n.get()).append('\n');
        }
        Solution sol = lastSolution;
        if (sol != null) {
            gauge(b, "moeserve_planner_last_solve_seconds", "wall time of the last solve");
            b.append("moeserve_planner_last_solve_seconds ").append(sol.seconds()).append('\n');
            if (!Double.isNaN(sol.gap())) {
                gauge(b, "moeserve_planner_last_solve_gap", "(objective - bound) / objective of the last solve");
                b.append("moeserve_planner_last_solve_gap ").append(sol.gap()).append('\n');
            }
        }
        return b.toString();
    }

    private static void gauge(StringBuilder b, String name, String help) {
        b.append("# HELP ").append(name).append(' ').append(help).append("\n# TYPE ").append(name).append(" gauge\n");
    }

    public PlacementPlan active() {
        return active;
    }

    @Override
    public void close() {
        running = false;
        decider.interrupt();
        consumer.wakeup();
        try {
            decider.join(5000);
            reader.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        follower.close();
        producer.close(Duration.ofSeconds(2));
    }
}
