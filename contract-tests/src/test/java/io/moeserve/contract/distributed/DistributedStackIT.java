package io.moeserve.contract.distributed;

import io.moeserve.contract.support.RedisServer;
import io.moeserve.contract.support.Repo;
import io.moeserve.contract.support.ServiceProcess;
import io.moeserve.core.engine.Engine;
import io.moeserve.core.engine.KvCache;
import io.moeserve.core.engine.SeqInput;
import io.moeserve.core.sampling.Sampler;
import io.moeserve.kafka.LocalKafka;
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
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The whole distributed stack as processes: a real Kafka broker, two expert services, two router
 * replicas computing experts over Kafka, the gateway in front. Tokens must be the monolithic
 * engine's; killing an expert service or a router under load must not lose requests.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DistributedStackIT {
    static final Duration STARTUP = Duration.ofMinutes(5);
    static final JsonMapper JSON = JsonMapper.builder().build();
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    static final int MAX_TOKENS = 12;
    static LocalKafka kafka;
    static RedisServer redis;
    static final List<ServiceProcess> experts = new ArrayList<>();
    static final List<ServiceProcess> routers = new ArrayList<>();
    static ServiceProcess gateway;
    static String key = "ct-dist-" + UUID.randomUUID();
    static List<int[]> prompts = new ArrayList<>();
    static List<int[]> expected = new ArrayList<>();

    @BeforeAll
    static void startStack() throws Exception {
        Path dir = Files.createTempDirectory("moe-kafka");
        kafka = LocalKafka.start(dir, 0);
        redis = RedisServer.start();
        for (int i = 0; i < 2; i++) {
            experts.add(ServiceProcess.startJar("dist-expert-" + i, Repo.jar("expert-service"), List.of(
                    "--moeserve.expert.instance-id=expert-" + i, "--moeserve.expert.partition=" + i,
                    "--moeserve.expert.plan.round-robin-instances=2",
                    "--moeserve.expert.model-dir=" + Repo.modelDir(),
                    "--moeserve.expert.kafka.bootstrap-servers=" + kafka.bootstrapServers()), Map.of()));
        }
        for (int r = 0; r < 2; r++) {
            routers.add(ServiceProcess.startJar("dist-router-" + r, Repo.jar("router-service"), List.of(
                    "--moeserve.router.model-dir=" + Repo.modelDir(), "--moeserve.router.model-id=tiny-moe",
                    "--moeserve.router.experts=kafka", "--moeserve.router.dispatch.router-id=" + r,
                    "--moeserve.router.dispatch.round-robin-instances=2",
                    "--moeserve.router.dispatch.bootstrap-servers=" + kafka.bootstrapServers()), Map.of()));
        }
        gateway = ServiceProcess.startJar("dist-gateway", Repo.jar("gateway"), List.of(
                "--moeserve.gateway.routers=" + routers.get(0).baseUrl() + "," + routers.get(1).baseUrl(),
                "--moeserve.gateway.api-keys=" + key, "--moeserve.gateway.redis.uri=" + redis.uri()), Map.of());
        for (ServiceProcess e : experts) e.awaitHealthy(STARTUP, "/actuator/health");
        for (ServiceProcess r : routers) r.awaitHealthy(STARTUP);
        gateway.awaitHealthy(STARTUP);
        loadGolden(prompts, expected);
    }

    /** The golden prompts and, for each, the monolithic engine's greedy continuation. */
    static void loadGolden(List<int[]> prompts, List<int[]> expected) throws Exception {
        JsonNode golden = JSON.readTree(Files.readString(Repo.modelDir().resolve("golden.json")));
        try (Engine engine = Engine.load(Repo.modelDir())) {
            for (JsonNode c : golden.get("cases")) {
                int[] ids = new int[c.get("input_ids").size()];
                for (int i = 0; i < ids.length; i++) ids[i] = c.get("input_ids").get(i).asInt();
                prompts.add(ids);
                expected.add(greedy(engine, ids));
            }
        }
    }

    @AfterAll
    static void stopStack() throws Exception {
        if (gateway != null) gateway.close();
        for (ServiceProcess p : routers) p.close();
        for (ServiceProcess p : experts) p.close();
        if (redis != null) redis.close();
        if (kafka != null) kafka.stop();
    }

    /** The monolithic engine's greedy tokens (EOS ignored, as the requests ask). */
    static int[] greedy(Engine engine, int[] prompt) {
        KvCache cache = engine.newCache();
        float[] logits = engine.forward(List.of(new SeqInput(cache, prompt)))[0];
        int[] out = new int[MAX_TOKENS];
        for (int i = 0; i < MAX_TOKENS; i++) {
            out[i] = Sampler.argmax(logits);
            logits = engine.forward(List.of(new SeqInput(cache, new int[]{out[i]})))[0];
        }
        return out;
    }

    /** A greedy completion of token ids through the gateway; returns the generated text. */
    static String complete(int[] prompt, boolean stream) throws Exception {
        String body = JSON.writeValueAsString(Map.of("model", "tiny-moe", "prompt", prompt, "max_tokens", MAX_TOKENS,
                "temperature", 0, "ignore_eos", true, "stream", stream));
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(gateway.baseUrl() + "/v1/completions"))
                .timeout(Duration.ofMinutes(3)).header("Authorization", "Bearer " + key)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        if (!stream) return JSON.readTree(r.body()).get("choices").get(0).get("text").asString();
        StringBuilder text = new StringBuilder();
        for (String line : r.body().split("\n")) {
            if (!line.startsWith("data: {")) continue;
            JsonNode chunk = JSON.readTree(line.substring(6));
            assertThat(chunk.has("error")).as(line).isFalse();
            for (JsonNode ch : chunk.path("choices")) text.append(ch.path("text").asString(""));
        }
        return text.toString();
    }

    /** The monolithic engine's greedy tokens as text (the router's /detokenize). */
    static String expectedText(int i) throws Exception {
        ServiceProcess alive = routers.stream().filter(ServiceProcess::isAlive).findFirst().orElseThrow();
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(alive.baseUrl() + "/detokenize"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(Map.of("model", "tiny-moe", "tokens", expected.get(i)))))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return JSON.readTree(r.body()).get("prompt").asString();
    }

    @Test
    @Order(1)
    void everyGoldenPrompt_overKafkaWithTwoExpertServices_givesMonolithicGreedyTokens() throws Exception {
        for (int i = 0; i < prompts.size(); i++) {
            assertThat(complete(prompts.get(i), false)).as("prompt %d", i).isEqualTo(expectedText(i));
            assertThat(complete(prompts.get(i), true)).as("prompt %d streamed", i).isEqualTo(expectedText(i));
        }
    }

    @Test
    @Order(2)
    void expertServiceKilledMidGeneration_everyInFlightRequestCompletesWithSameTokens() throws Exception {
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<String>> results = new ArrayList<>();
            for (int i = 0; i < prompts.size(); i++) {
                int idx = i;
                results.add(pool.submit(() -> complete(prompts.get(idx), idx % 2 == 0)));
            }
            Thread.sleep(1500); // generation under way
            experts.get(1).kill();
            for (int i = 0; i < prompts.size(); i++) {
                assertThat(results.get(i).get(5, TimeUnit.MINUTES)).as("prompt %d", i).isEqualTo(expectedText(i));
            }
        }
    }

    @Test
    @Order(3)
    void routerReplicaStoppedUnderLoad_noRequestThatHadNotStartedStreamingIsLost() throws Exception {
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<String>> results = new ArrayList<>();
            for (int round = 0; round < 2; round++) {
                for (int i = 0; i < prompts.size(); i++) {
                    int idx = i;
                    results.add(pool.submit(() -> complete(prompts.get(idx), false)));
                }
            }
            Thread.sleep(1000);
            routers.get(1).kill();
            for (int j = 0; j < results.size(); j++) {
                assertThat(results.get(j).get(5, TimeUnit.MINUTES)).as("request %d", j)
                        .isEqualTo(expectedText(j % prompts.size()));
            }
        }
    }
}
