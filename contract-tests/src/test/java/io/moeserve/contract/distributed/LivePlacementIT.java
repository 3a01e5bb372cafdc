package io.moeserve.contract.distributed;

import io.moeserve.contract.support.Repo;
import io.moeserve.contract.support.ServiceProcess;
import io.moeserve.core.placement.ExpertPlacement;
import io.moeserve.core.placement.PlacementPlan;
import io.moeserve.core.placement.PlacementPlans;
import io.moeserve.core.placement.Replica;
import io.moeserve.core.wire.RoutingStatsMessage;
import io.moeserve.core.wire.Topics;
import io.moeserve.kafka.LocalKafka;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Live placement as processes: a real Kafka broker, expert services, a router publishing routing
 * statistics and following plans, and the planner service ({@code moe planner}). Re-planning under
 * load, an instance joining and one leaving must fail no request and change no token; the loads the
 * plan predicts must be the loads the expert services measure.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LivePlacementIT {
    static final Duration STARTUP = Duration.ofMinutes(5);
    static final JsonMapper JSON = JsonMapper.builder().build();
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    static LocalKafka kafka;
    static final Map<String, ServiceProcess> experts = new HashMap<>();
    static ServiceProcess router;
    static ServiceProcess planner;
    static final List<int[]> prompts = new ArrayList<>();
    static final List<int[]> expected = new ArrayList<>();

    @BeforeAll
    static void startStack() throws Exception {
        kafka = LocalKafka.start(Files.createTempDirectory("moe-kafka"), 0);
        for (int i = 0; i < 2; i++) startExpert(i);
        router = ServiceProcess.startJar("live-router", Repo.jar("router-service"), List.of(
                "--moeserve.router.model-dir=" + Repo.modelDir(), "--moeserve.router.model-id=tiny-moe",
                "--moeserve.router.experts=kafka", "--moeserve.router.dispatch.router-id=0",
                "--moeserve.router.routing-stats.window=1s",
                "--moeserve.router.dispatch.bootstrap-servers=" + kafka.bootstrapServers()), Map.of());
        // Only the triggers under test: no re-plan for imbalance on its own.
        planner = ServiceProcess.startCli("live-planner", Repo.root().resolve("ops/target/moe-ops.jar"), List.of("planner",
                "--bootstrap=" + kafka.bootstrapServers(), "--model-dir=" + Repo.modelDir(), "--replicas=2", "--time-limit=2",
                "--stats-window=1s", "--alpha=1", "--imbalance=100", "--heartbeat-timeout=6s"));
        for (ServiceProcess e : experts.values()) e.awaitHealthy(STARTUP, "/actuator/health");
        router.awaitHealthy(STARTUP);
        planner.awaitHealthy(STARTUP);
        DistributedStackIT.loadGolden(prompts, expected);
        awaitTrue(Duration.ofSeconds(60), () -> status().get("members").size() == 2, "both experts are members");
    }

    static ServiceProcess startExpert(int i) throws Exception {
        ServiceProcess p = ServiceProcess.startJar("live-expert-" + i, Repo.jar("expert-service"), List.of(
                "--moeserve.expert.instance-id=expert-" + i, "--moeserve.expert.partition=" + i,
                "--moeserve.expert.plan.round-robin-instances=2", "--moeserve.expert.unload-grace=3s",
                "--moeserve.expert.per-expert-metrics=true",
                "--moeserve.expert.model-dir=" + Repo.modelDir(),
                "--moeserve.expert.kafka.bootstrap-servers=" + kafka.bootstrapServers()), Map.of());
        experts.put("expert-" + i, p);
        return p;
    }

    @AfterAll
    static void stopStack() throws Exception {
        if (planner != null) planner.close();
        if (router != null) router.close();
        for (ServiceProcess p : experts.values()) p.kill();
        if (kafka != null) kafka.stop();
    }

    // --- helpers ---

    static String complete(int prompt) throws Exception {
        String body = JSON.writeValueAsString(Map.of("model", "tiny-moe", "prompt", prompts.get(prompt),
                "max_tokens", DistributedStackIT.MAX_TOKENS, "temperature", 0, "ignore_eos", true));
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(router.baseUrl() + "/v1/completions"))
                .timeout(Duration.ofMinutes(2)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) throw new IllegalStateException("HTTP " + r.statusCode() + ": " + r.body());
        return JSON.readTree(r.body()).get("choices").get(0).get("text").asString();
    }

    static final Map<Integer, String> expectedTexts = new HashMap<>();

    static synchronized String expectedText(int i) throws Exception {
        if (expectedTexts.containsKey(i)) return expectedTexts.get(i);
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(router.baseUrl() + "/detokenize"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(Map.of("model", "tiny-moe", "tokens", expected.get(i)))))
                .build(), HttpResponse.BodyHandlers.ofString());
        String text = JSON.readTree(r.body()).get("prompt").asString();
        expectedTexts.put(i, text);
        return text;
    }

    static JsonNode status() throws Exception {
        return JSON.readTree(get(planner.baseUrl() + "/status"));
    }

    static String get(String url) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(url + ": " + r.body()).isEqualTo(200);
        return r.body();
    }

    static int post(String url, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    static void awaitTrue(Duration timeout, Checked condition, String what) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.get()) return;
            Thread.sleep(200);
        }
        throw new AssertionError("timed out after " + timeout + " waiting until " + what + "; planner status: " + status());
    }

    interface Checked {
        boolean get() throws Exception;
    }

    /** The router's plan version (it switches at the next step once a plan is active). */
    static long routerPlanVersion() throws Exception {
        Matcher m = Pattern.compile("(?m)^moeserve_dispatch_plan_version\\{[^}]*} (\\S+)$").matcher(get(router.baseUrl() + "/actuator/prometheus"));
        return m.find() ? (long) Double.parseDouble(m.group(1)) : -1;
    }

    /** Waits until the planner's plan is active and the router dispatches by it (a request makes it take a step). */
    static PlacementPlan awaitActive(long newerThan) throws Exception {
        awaitTrue(Duration.ofSeconds(90), () -> status().get("active_version").asLong() > newerThan
                && status().get("pending_version").isNull(), "a plan newer than v" + newerThan + " is active");
        PlacementPlan plan = PlacementPlans.fromJson(get(planner.baseUrl() + "/plan"));
        awaitTrue(Duration.ofSeconds(60), () -> {
            complete(0);
            return routerPlanVersion() >= plan.version();
        }, "the router dispatches by v" + plan.version());
        return plan;
    }

    static double metric(String text, String series) {
        for (String line : text.split("\n")) {
            if (line.startsWith(series + " ")) return Double.parseDouble(line.substring(series.length() + 1).trim());
        }
        throw new AssertionError(series + " not in:\n" + text);
    }

    /** Token-expert pairs each expert instance computed so far (its per-layer counters summed). */
    static double measured(String instance) throws Exception {
        ServiceProcess p = experts.get(instance);
        Matcher m = Pattern.compile("(?m)^moeserve_expert_layer_tokens_total\\{[^}]*} (\\S+)$")
                .matcher(get(p.baseUrl() + "/actuator/prometheus"));
        double sum = 0;
        while (m.find()) sum += Double.parseDouble(m.group(1));
        return sum;
    }

    /** Serves every golden prompt {@code rounds} times from 8 concurrent clients, checking each answer. */
    static final class Load implements AutoCloseable {
        final java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
        final java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        final java.util.concurrent.atomic.AtomicInteger ok = new java.util.concurrent.atomic.AtomicInteger();
        final java.util.Queue<String> failures = new java.util.concurrent.ConcurrentLinkedQueue<>();

        Load start() {
            for (int w = 0; w < 8; w++) {
                int worker = w;
                pool.submit(() -> {
                    for (int i = worker; !stop.get(); i++) {
                        int idx = i % prompts.size();
                        try {
                            String text = complete(idx);
                            if (text.equals(expectedText(idx))) ok.incrementAndGet();
                            else failures.add("prompt " + idx + ": got '" + text + "', expected '" + expectedText(idx) + "'");
                        } catch (Exception e) {
                            failures.add("prompt " + idx + ": " + e);
                        }
                    }
                });
            }
            return this;
        }

        @Override
        public void close() throws Exception {
            stop.set(true);
            pool.shutdown();
            assertThat(pool.awaitTermination(3, java.util.concurrent.TimeUnit.MINUTES)).isTrue();
        }
    }

    // --- the bar ---

    @Test
    @Order(1)
    void plannedInstanceLoads_matchTheLoadsTheExpertServicesMeasure_within5Percent() throws Exception {
        for (int i = 0; i < prompts.size(); i++) assertThat(complete(i)).isEqualTo(expectedText(i)); // the planner learns this text
        Thread.sleep(3000); // the router's last window and the planner's
        long before = status().get("active_version").asLong();
        assertThat(post(planner.baseUrl() + "/replan", "")).isEqualTo(202);
        PlacementPlan plan = awaitActive(before);
        System.out.printf("plan v%d replicates %d experts%n", plan.version(), plan.placements().stream().filter(p -> p.replicas().size() > 1).count());

        Properties c = new Properties();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        try (KafkaConsumer<String, String> stats = new KafkaConsumer<>(c, new StringDeserializer(), new StringDeserializer())) {
            TopicPartition tp = new TopicPartition(Topics.ROUTING_STATS, 0);
            stats.assign(List.of(tp));
            Thread.sleep(2500); // windows of the requests above are out
            stats.seekToEnd(List.of(tp));
            stats.position(tp);
            Map<String, Double> start = new HashMap<>();
            for (var i : plan.instances()) start.put(i.id(), measured(i.id()));
            long routed = 0;
            for (int i = 0; i < prompts.size(); i++) {
                assertThat(complete(i)).isEqualTo(expectedText(i)); // the same text again
                routed += prompts.get(i).length + DistributedStackIT.MAX_TOKENS - 1;
            }
            long[][] load = new long[plan.numLayers()][plan.numExperts()];
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            long seen = 0;
            while (seen < routed && System.nanoTime() < deadline) {
                for (var r : stats.poll(Duration.ofMillis(500))) {
                    RoutingStatsMessage m = RoutingStatsMessage.fromJson(r.value());
                    seen += m.tokens();
                    for (int l = 0; l < m.layers(); l++) {
                        for (int e = 0; e < m.experts(); e++) load[l][e] += m.load()[l][e];
                    }
                }
            }
            assertThat(seen).as("tokens the router reported for the second pass").isEqualTo(routed);
            for (var inst : plan.instances()) {
                double predicted = 0;
                for (ExpertPlacement p : plan.placements()) {
                    for (Replica r : p.replicas()) {
                        if (r.instance().equals(inst.id())) predicted += load[p.layer()][p.expert()] * r.share();
                    }
                }
                double got = measured(inst.id()) - start.get(inst.id());
                System.out.printf("%s: predicted %.1f, measured %.0f (%.2f%%)%n", inst.id(), predicted, got, 100 * (got / predicted - 1));
                assertThat(got / predicted).as("%s: measured %.0f, predicted %.1f", inst.id(), got, predicted).isCloseTo(1.0, within(0.05));
            }
        }
    }

    @Test
    @Order(2)
    void replanUnderConcurrency8Load_failsNoRequestAndChangesNoToken() throws Exception {
        Load load = new Load().start();
        try (load) {
            awaitTrue(Duration.ofSeconds(60), () -> load.ok.get() >= 8, "load is flowing");
            long v0 = status().get("active_version").asLong();
            assertThat(post(planner.baseUrl() + "/replan", "")).isEqualTo(202);
            PlacementPlan replanned = awaitActive(v0);
            // And a plan that moves every expert to the other instance, so weights really migrate under load.
            List<ExpertPlacement> moved = new ArrayList<>();
            for (ExpertPlacement p : replanned.placements()) {
                String from = p.replicas().getFirst().instance();
                String to = from.equals("expert-0") ? "expert-1" : "expert-0";
                moved.add(ExpertPlacement.single(p.layer(), p.expert(), to));
            }
            PlacementPlan swapped = new PlacementPlan(1, replanned.modelId(), replanned.numLayers(), replanned.numExperts(),
                    replanned.instances(), moved);
            assertThat(post(planner.baseUrl() + "/plan", PlacementPlans.toJson(swapped))).isEqualTo(202);
            awaitActive(replanned.version());
            int at = load.ok.get();
            awaitTrue(Duration.ofSeconds(60), () -> load.ok.get() >= at + 8, "requests complete under the new plan");
        }
        assertThat(load.failures).isEmpty();
        assertThat(load.ok.get()).isGreaterThanOrEqualTo(16);
    }

    @Test
    @Order(3)
    void expertInstanceAddedUnderLoad_isPlannedIn_andServes_failingNoRequest() throws Exception {
        Load load = new Load().start();
        try (load) {
            long v0 = status().get("active_version").asLong();
            ServiceProcess added = startExpert(2);
            added.awaitHealthy(STARTUP, "/actuator/health");
            PlacementPlan plan = awaitActive(v0);
            assertThat(plan.instance("expert-2")).isNotNull();
            assertThat(plan.expertsOf("expert-2")).isNotEmpty();
            awaitTrue(Duration.ofSeconds(60), () -> measured("expert-2") > 0, "expert-2 computes tokens");
        }
        assertThat(load.failures).isEmpty();
    }

    @Test
    @Order(4)
    void expertInstanceRemovedUnderLoad_isPlannedOut_failingNoRequest() throws Exception {
        Load load = new Load().start();
        try (load) {
            awaitTrue(Duration.ofSeconds(60), () -> load.ok.get() >= 8, "load is flowing");
            long v0 = status().get("active_version").asLong();
            ServiceProcess leaving = experts.get("expert-1");
            long t0 = System.nanoTime();
            leaving.close(); // SIGTERM: a scale-in, the instance announces it is leaving and drains
            assertThat(leaving.isAlive()).isFalse();
            PlacementPlan plan = awaitActive(v0);
            assertThat(plan.instance("expert-1")).isNull();
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("drained before its 20 s drain timeout").isLessThan(Duration.ofSeconds(20));
            int at = load.ok.get();
            awaitTrue(Duration.ofSeconds(60), () -> load.ok.get() >= at + 8, "requests complete without expert-1");
        }
        assertThat(load.failures).isEmpty();
        String metrics = get(planner.baseUrl() + "/metrics");
        assertThat(metric(metrics, "moeserve_planner_proposals_total{reason=\"membership\"}")).as("joined, left").isGreaterThanOrEqualTo(2);
        assertThat(metric(metrics, "moeserve_planner_proposals_total{reason=\"request\"}")).isGreaterThanOrEqualTo(1);
        assertThat(metric(metrics, "moeserve_planner_proposals_total{reason=\"operator\"}")).isEqualTo(1);
        assertThat(metric(metrics, "moeserve_planner_members")).isEqualTo(2);
    }

    @Test
    @Order(5)
    void malformedControlRecords_areSkippedAndCounted_andNothingStops() throws Exception {
        Properties p = new Properties();
        p.put(org.apache.kafka.clients.producer.ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        try (var producer = new org.apache.kafka.clients.producer.KafkaProducer<String, String>(p,
                new org.apache.kafka.common.serialization.StringSerializer(), new org.apache.kafka.common.serialization.StringSerializer())) {
            // Keys other than the real ones, so compaction never replaces a real plan, ack or heartbeat.
            producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(Topics.HEARTBEATS, "garbage", "{not json")).get();
            producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(Topics.ROUTING_STATS, "garbage",
                    "{\"formatVersion\":99,\"layers\":4,\"experts\":16,\"topK\":2}")).get();
            producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(Topics.PLACEMENT, "garbage", "[1,2,3]")).get();
            producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(Topics.PLACEMENT_ACKS, "garbage", "\u0000\u0001")).get();
        }
        for (String topic : List.of(Topics.HEARTBEATS, Topics.ROUTING_STATS, Topics.PLACEMENT, Topics.PLACEMENT_ACKS)) {
            awaitTrue(Duration.ofSeconds(30), () -> metric(get(planner.baseUrl() + "/metrics"),
                    "moeserve_planner_rejected_records_total{topic=\"" + topic + "\"}") >= 1, "the planner counted the bad " + topic + " record");
        }
        ServiceProcess expert = experts.get("expert-0");
        awaitTrue(Duration.ofSeconds(30), () -> get(expert.baseUrl() + "/actuator/prometheus")
                .matches("(?s).*moeserve_wire_rejected_total\\{[^}]*reason=\"plan\"[^}]*} [1-9].*"), "expert-0 counted the bad plan");
        long before = status().get("active_version").asLong();
        assertThat(post(planner.baseUrl() + "/plan", "{\"version\": ")).as("malformed plan").isEqualTo(400);
        String otherModel = PlacementPlans.toJson(PlacementPlans.roundRobin("other", 2, 4, PlacementPlans.uniformInstances(2, Long.MAX_VALUE)));
        assertThat(post(planner.baseUrl() + "/plan", otherModel)).as("plan of another model shape").isEqualTo(400);
        assertThat(post(planner.baseUrl() + "/replan", "")).isEqualTo(202);
        awaitActive(before); // still planning, and the router still follows
        assertThat(status().get("members").size()).isEqualTo(2);
        for (int i = 0; i < prompts.size(); i++) assertThat(complete(i)).isEqualTo(expectedText(i));
    }
}
