package io.moeserve.expert;

import static org.assertj.core.api.Assertions.assertThat;

import io.moeserve.core.placement.ExpertPlacement;
import io.moeserve.core.placement.PlacementPlan;
import io.moeserve.core.placement.PlacementPlans;
import io.moeserve.core.wire.CombineMessage;
import io.moeserve.core.wire.DispatchMessage;
import io.moeserve.core.wire.PlanAck;
import io.moeserve.core.wire.Topics;
import io.moeserve.core.wire.WireCodec;
import io.moeserve.core.wire.WireDType;
import io.moeserve.kafka.LocalKafka;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** The whole service as deployed: config, topics, dispatch loop, plan listener, health and Prometheus. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class ExpertServiceApplicationTest {
    private static final int ROUTER = 5;

    @DynamicPropertySource
    static void kafka(DynamicPropertyRegistry r) {
        LocalKafka kafka = LocalKafka.shared();
        kafka.createTopics(Map.of(Topics.COMBINE, 8));
        r.add("moeserve.expert.kafka.bootstrap-servers", kafka::bootstrapServers);
        r.add("moeserve.expert.instance-id", () -> "expert-1");
        r.add("moeserve.expert.model-dir", () -> TestRouter.tinyMoe().toString());
        r.add("moeserve.expert.plan.round-robin-instances", () -> "2");
        r.add("moeserve.expert.unload-grace", () -> "200ms");
    }

    @LocalServerPort
    int port;

    @Test
    void servesItsPartition_publishesMetrics_andAdoptsAPublishedPlan() throws Exception {
        String bootstrap = LocalKafka.shared().bootstrapServers();
        assertThat(get("/actuator/health")).contains("\"status\":\"UP\"").contains("\"instance\":\"expert-1\"")
                .contains("\"partition\":1").contains("\"heldExperts\":32");

        // expert-1 holds the odd experts (round-robin over 2): layer 2 expert 5 with weight 0.25
        float[] hidden = new float[2 * 256];
        for (int i = 0; i < hidden.length; i++) hidden[i] = (i % 17) / 17f - 0.5f;
        DispatchMessage m = DispatchMessage.of(1, 4242, 2, ROUTER, 1, 2, 256, 2, WireDType.F32,
                new int[]{5, -1, -1, 7}, new float[]{0.25f, 0.75f, 0.6f, 0.4f}, hidden);
        try (TestRouter router = new TestRouter(bootstrap, ROUTER)) {
            router.send(1, WireCodec.encode(m));
            CombineMessage reply = router.await(4242, Duration.ofSeconds(20));
            assertThat(reply).isNotNull();
            assertThat(reply.status()).isEqualTo(CombineMessage.Status.OK);
            assertThat(reply.vectors()).hasSize(512);
        }
        String prom = get("/actuator/prometheus");
        // per-(layer, expert) series are opt-in (bounded cardinality); per-layer counts are always there
        assertThat(prom).contains("moeserve_expert_layer_tokens_total{instance=\"expert-1\",layer=\"2\"} 2.0");
        assertThat(prom).doesNotContain("moeserve_expert_tokens_total{");
        assertThat(prom).contains("moeserve_expert_messages_total{instance=\"expert-1\",status=\"ok\"}");
        assertThat(prom).contains("moeserve_expert_compute_seconds_count{instance=\"expert-1\"}");
        assertThat(prom).contains("moeserve_expert_plan_version{instance=\"expert-1\"} 1.0");

        // A planner publishes v2 (layer 0 expert 0 moves to expert-1): the instance loads it and acks.
        List<ExpertPlacement> ps = new ArrayList<>();
        PlacementPlan base = PlacementPlans.roundRobin("tiny-moe", 4, 16, PlacementPlans.uniformInstances(2, Long.MAX_VALUE));
        for (ExpertPlacement p : base.placements()) {
            ps.add(p.layer() == 0 && p.expert() == 0 ? ExpertPlacement.single(0, 0, "expert-1") : p);
        }
        PlacementPlan v2 = new PlacementPlan(2, "tiny-moe", 4, 16, base.instances(), ps);
        Properties pp = new Properties();
        pp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        Properties cp = new Properties();
        cp.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        cp.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        try (var producer = new KafkaProducer<>(pp, new StringSerializer(), new StringSerializer());
             var acks = new KafkaConsumer<>(cp, new StringDeserializer(), new StringDeserializer())) {
            producer.send(new ProducerRecord<>(Topics.PLACEMENT, 0, Topics.PLAN_KEY, "{not json")).get(10, TimeUnit.SECONDS);
            producer.send(new ProducerRecord<>(Topics.PLACEMENT, 0, Topics.PLAN_KEY, PlacementPlans.toJson(v2))).get(10, TimeUnit.SECONDS);
            acks.assign(Set.of(new TopicPartition(Topics.PLACEMENT_ACKS, 0)));
            PlanAck ack = null;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (ack == null && System.nanoTime() < deadline) {
                for (var r : acks.poll(Duration.ofMillis(200))) {
                    PlanAck a = PlanAck.fromJson(r.value());
                    if (a.instance().equals("expert-1") && a.planVersion() == 2) ack = a;
                }
            }
            assertThat(ack).isNotNull();
            assertThat(ack.status()).isEqualTo(PlanAck.LOADED);
            assertThat(ack.heldExperts()).isEqualTo(33);
        }
        assertThat(get("/actuator/health")).contains("\"planVersion\":2");
        assertThat(get("/actuator/prometheus")).contains("moeserve_wire_rejected_total{instance=\"expert-1\",reason=\"plan\"} 1.0");
    }

    private String get(String path) throws Exception {
        try (HttpClient http = HttpClient.newHttpClient()) {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
        }
    }
}
