package io.moeserve.kvcache.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.moeserve.core.kvcache.BlockKey;
import io.moeserve.kvcache.client.HttpKvBlockStore;
import io.moeserve.kvcache.client.KvKeySchema;
import io.moeserve.kvcache.client.KvPolicy;
import io.moeserve.kvcache.client.KvWire;
import io.moeserve.kvcache.client.RedisKvBlockStore;
import io.moeserve.kvcache.client.TestBlocks;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** The real service on a random port, over the machine's real Redis, in a namespace of its own. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class KvCacheServiceApiTest {
    static final String REDIS = "redis://127.0.0.1:6379";
    static final String NAMESPACE = TestBlocks.uniqueNamespace();
    static final int BLOCK = TestBlocks.block(0).length;

    @DynamicPropertySource
    static void props(DynamicPropertyRegistry r) {
        r.add("moeserve.kvcache.namespace", () -> NAMESPACE);
        r.add("moeserve.kvcache.models.small-model.quota", () -> (3 * BLOCK + BLOCK / 2) + "B");
        r.add("moeserve.kvcache.models.small-model.ttl", () -> "0s");
    }

    @LocalServerPort
    int port;

    HttpKvBlockStore http;
    RedisKvBlockStore direct;
    final HttpClient raw = HttpClient.newHttpClient();

    @BeforeEach
    void setUp() {
        http = new HttpKvBlockStore(URI.create("http://127.0.0.1:" + port), Duration.ofSeconds(5));
        direct = RedisKvBlockStore.connect(REDIS, new KvKeySchema(NAMESPACE), KvPolicy.DEFAULT, Duration.ofSeconds(2));
    }

    @AfterEach
    void tearDown() {
        http.close();
        direct.close();
    }

    @AfterAll
    static void cleanUp() {
        TestBlocks.deleteNamespace(REDIS, NAMESPACE);
    }

    @Test
    void httpStore_putLookupGet_roundTrip() {
        List<BlockKey> keys = TestBlocks.keys("tiny-moe", 48, 1);
        Map<BlockKey, byte[]> blocks = TestBlocks.blocks(keys.subList(0, 40));
        http.putBlocks("tiny-moe", blocks);

        assertThat(http.longestPrefix("tiny-moe", keys)).isEqualTo(40);
        List<byte[]> prefix = http.getPrefix("tiny-moe", keys);
        assertThat(prefix).hasSize(40);
        assertThat(prefix.get(39)).isEqualTo(blocks.get(keys.get(39)));
        List<byte[]> all = http.getBlocks("tiny-moe", keys);
        assertThat(all).hasSize(48);
        assertThat(all.get(40)).isNull();
    }

    @Test
    void serviceAndDirectClients_shareOneCache() {
        List<BlockKey> a = TestBlocks.keys("shared-model", 3, 2);
        List<BlockKey> b = TestBlocks.keys("shared-model", 3, 3);
        direct.putBlocks("shared-model", TestBlocks.blocks(a));
        http.putBlocks("shared-model", TestBlocks.blocks(b));

        assertThat(http.longestPrefix("shared-model", a)).isEqualTo(3);
        assertThat(direct.longestPrefix("shared-model", b)).isEqualTo(3);
    }

    @Test
    void configuredQuota_isEnforcedForDirectWritersToo() throws Exception {
        List<BlockKey> keys = TestBlocks.keys("small-model", 6, 4);
        Map<BlockKey, byte[]> blocks = TestBlocks.blocks(keys);
        http.putBlocks("small-model", Map.of(keys.get(0), blocks.get(keys.get(0)))); // publishes the policy
        for (BlockKey k : keys.subList(1, 6)) {
            direct.putBlocks("small-model", Map.of(k, blocks.get(k))); // client fallback is 256 MB
        }
        String stats = getJson("/v1/kv/small-model/stats");
        assertThat(stats).contains("\"blocks\":3", "\"evictions\":3", "\"bytes\":" + 3 * BLOCK);
        assertThat(direct.getBlocks("small-model", keys).subList(3, 6)).doesNotContainNull();
    }

    @Test
    void invalidate_dropsTheModelsBlocks() throws Exception {
        List<BlockKey> keys = TestBlocks.keys("doomed-model", 4, 5);
        http.putBlocks("doomed-model", TestBlocks.blocks(keys));
        HttpResponse<String> r = raw.send(HttpRequest.newBuilder(url("/v1/kv/doomed-model")).DELETE().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("\"deleted_blocks\":4");
        assertThat(http.longestPrefix("doomed-model", keys)).isZero();
    }

    @Test
    void statistics_areExportedAsJsonAndPrometheusMetrics() throws Exception {
        List<BlockKey> keys = TestBlocks.keys("metered-model", 4, 6);
        http.putBlocks("metered-model", TestBlocks.blocks(keys.subList(0, 3)));
        http.getPrefix("metered-model", keys); // 3 hits, 1 miss

        assertThat(getJson("/v1/kv/stats")).contains("\"model\":\"metered-model\"", "\"hits\":3", "\"misses\":1",
                "\"namespace\":\"" + NAMESPACE + "\"");
        String prom = getJson("/actuator/prometheus");
        assertThat(prom).containsPattern("moeserve_kvcache_hits_total\\{[^}]*model=\"metered-model\"[^}]*} 3.0");
        assertThat(prom).containsPattern("moeserve_kvcache_misses_total\\{[^}]*model=\"metered-model\"[^}]*} 1.0");
        assertThat(prom).containsPattern("moeserve_kvcache_bytes\\{[^}]*model=\"metered-model\"[^}]*} " + 3 * BLOCK);
        assertThat(prom).contains("moeserve_kvcache_evictions_total", "moeserve_kvcache_bytes_written_total");
    }

    @Test
    void modelIdsWithSlash_travelInThePath() {
        List<BlockKey> keys = TestBlocks.keys("org/model-7b", 2, 7);
        http.putBlocks("org/model-7b", TestBlocks.blocks(keys));
        assertThat(http.getPrefix("org/model-7b", keys)).hasSize(2);
        assertThat(direct.longestPrefix("org/model-7b", keys)).isEqualTo(2);
    }

    @Test
    void malformedRequests_getOpenAiShapedErrors() throws Exception {
        HttpResponse<String> bad = post("/v1/kv/tiny-moe/lookup", new byte[33], KvWire.CONTENT_TYPE);
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.body()).contains("\"error\":{", "\"type\":\"invalid_request_error\"", "32-byte");

        HttpResponse<String> wrongType = post("/v1/kv/tiny-moe/lookup", new byte[32], "application/json");
        assertThat(wrongType.statusCode()).isEqualTo(415);
        assertThat(wrongType.body()).contains("\"error\":{", "\"message\":");

        HttpResponse<String> unknown = post("/v1/kv/tiny-moe/nope", new byte[32], KvWire.CONTENT_TYPE);
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(unknown.body()).contains("\"type\":\"not_found_error\"");

        HttpResponse<String> badModel = post("/v1/kv/bad%7Bid%7D/lookup", new byte[32], KvWire.CONTENT_TYPE);
        assertThat(badModel.statusCode()).isEqualTo(400);
        assertThat(badModel.body()).contains("braces");
    }

    private URI url(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    private String getJson(String path) throws Exception {
        HttpResponse<String> r = raw.send(HttpRequest.newBuilder(url(path)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(path).isEqualTo(200);
        return r.body();
    }

    private HttpResponse<String> post(String path, byte[] body, String type) throws Exception {
        return raw.send(HttpRequest.newBuilder(url(path)).header("Content-Type", type)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
