package io.moeserve.router.prefix;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.moeserve.core.kvcache.KvBlockCodec;
import io.moeserve.core.sampling.SamplingParams;
import io.moeserve.kvcache.client.KvCacheClient;
import io.moeserve.kvcache.client.KvCacheClientConfig;
import io.moeserve.router.TestModel;
import io.moeserve.router.scheduler.CollectingSink;
import io.moeserve.router.scheduler.GenerationRequest;
import io.moeserve.router.scheduler.Scheduler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Redis (started by this test on its own port) stops mid-load: nothing fails; hits return after it restarts. */
class RedisOutageTest {
    Process redis;
    int port;

    void startRedis() throws Exception {
        redis = new ProcessBuilder("redis-server", "--port", String.valueOf(port), "--save", "", "--appendonly", "no")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            try (Socket s = new Socket("127.0.0.1", port)) {
                return;
            } catch (IOException e) {
                Thread.sleep(50);
            }
        }
        throw new IllegalStateException("redis-server did not start on " + port);
    }

    @AfterEach
    void stopRedis() {
        if (redis != null) redis.destroyForcibly();
    }

    @Test
    void redisStoppedMidLoad_zeroFailedRequests_hitsResumeAfterRestart() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        startRedis();
        KvCacheClientConfig cfg = KvCacheClientConfig.defaults().withRedisUri("redis://127.0.0.1:" + port)
                .withTimeout(Duration.ofMillis(200)).withOpenStateWait(Duration.ofMillis(500));
        PrefixCache cache = new PrefixCache(KvCacheClient.direct(cfg), "tiny-moe", TestModel.runtime().config(),
                KvBlockCodec.Encoding.BF16, new SimpleMeterRegistry());
        Scheduler scheduler = TestModel.scheduler(4, 32, cache);
        int[] prompt = new int[64 + 3];
        for (int i = 0; i < prompt.length; i++) prompt[i] = 10 + i;
        List<CollectingSink> sinks = new ArrayList<>();
        try {
            sinks.add(submit(scheduler, prompt)); // fills the cache
            sinks.getLast().done.get(60, TimeUnit.SECONDS);
            awaitHit(scheduler, prompt, sinks);
            for (int i = 0; i < 4; i++) sinks.add(submit(scheduler, prompt));
            redis.destroyForcibly().waitFor(); // mid-load
            for (int i = 0; i < 6; i++) sinks.add(submit(scheduler, prompt));
            for (CollectingSink sink : sinks) assertThat(sink.done.get(60, TimeUnit.SECONDS).tokens()).hasSize(4);
            startRedis(); // empty again: the first request refills it, later ones hit
            sinks.add(submit(scheduler, prompt));
            sinks.getLast().done.get(60, TimeUnit.SECONDS);
            awaitHit(scheduler, prompt, sinks);
            for (CollectingSink sink : sinks) assertThat(sink.done).isCompleted().isNotCompletedExceptionally();
        } finally {
            scheduler.close();
            cache.close();
        }
    }

    /** Repeats the request until one reports cached tokens (the breaker probes Redis again after 500 ms). */
    static void awaitHit(Scheduler scheduler, int[] prompt, List<CollectingSink> sinks) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            CollectingSink s = submit(scheduler, prompt);
            sinks.add(s);
            if (s.done.get(60, TimeUnit.SECONDS).usage().cachedTokens() == 64) return;
            Thread.sleep(100);
        }
        throw new AssertionError("no cache hit within 20 s");
    }

    static CollectingSink submit(Scheduler s, int[] prompt) {
        CollectingSink sink = new CollectingSink();
        s.submit(new GenerationRequest("o", prompt, new SamplingParams(0, 1, 0, null, 4, List.of(), true)), sink);
        return sink;
    }
}
