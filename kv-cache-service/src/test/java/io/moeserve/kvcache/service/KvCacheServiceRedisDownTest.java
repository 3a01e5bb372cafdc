package io.moeserve.kvcache.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.moeserve.core.kvcache.BlockKey;
import io.moeserve.kvcache.client.KvCacheClient;
import io.moeserve.kvcache.client.KvCacheClientConfig;
import io.moeserve.kvcache.client.KvWire;
import io.moeserve.kvcache.client.RedisProcess;
import io.moeserve.kvcache.client.TestBlocks;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** The service over a redis-server this test owns and kills: 503 fast, HTTP clients go degraded, then recover. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class KvCacheServiceRedisDownTest {
    static final RedisProcess REDIS = RedisProcess.start();
    static final List<BlockKey> KEYS = TestBlocks.keys("tiny-moe", 48, 9);
    static final Map<BlockKey, byte[]> BLOCKS = TestBlocks.blocks(KEYS);

    @DynamicPropertySource
    static void props(DynamicPropertyRegistry r) {
        r.add("spring.data.redis.port", REDIS::port);
        r.add("moeserve.kvcache.redis-timeout", () -> "300ms");
    }

    @AfterAll
    static void stopRedis() {
        REDIS.close();
    }

    @LocalServerPort
    int port;

    @Test
    void redisKilled_serviceAnswers503Fast_clientsDegrade_andHitsResumeAfterRestart() throws Exception {
        try (KvCacheClient client = KvCacheClient.http(KvCacheClientConfig.defaults()
                .withServiceUrl(URI.create("http://127.0.0.1:" + port))
                .withTimeout(Duration.ofSeconds(2)).withOpenStateWait(Duration.ofMillis(300)))) {
            client.putBlocks("tiny-moe", BLOCKS);
            assertThat(client.getPrefix("tiny-moe", KEYS)).hasSize(48);

            REDIS.kill();
            HttpClient raw = HttpClient.newHttpClient();
            long t0 = System.nanoTime();
            HttpResponse<String> r = raw.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/kv/tiny-moe/lookup"))
                    .header("Content-Type", KvWire.CONTENT_TYPE)
                    .POST(HttpRequest.BodyPublishers.ofByteArray(KvWire.encodeKeys(KEYS))).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(1));
            assertThat(r.statusCode()).isEqualTo(503);
            assertThat(r.body()).contains("\"type\":\"service_unavailable_error\"", "\"code\":\"kv_backend_unavailable\"");

            for (int i = 0; i < 20; i++) {
                assertThat(client.getPrefix("tiny-moe", KEYS)).isEmpty();
                client.putBlocks("tiny-moe", BLOCKS);
            }
            assertThat(client.available()).isFalse();

            REDIS.restart();
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            int hits = 0;
            while (hits < 48 && System.nanoTime() < deadline) {
                client.putBlocks("tiny-moe", BLOCKS);
                hits = client.getPrefix("tiny-moe", KEYS).size();
                Thread.sleep(50);
            }
            assertThat(hits).isEqualTo(48);
        }
    }
}
