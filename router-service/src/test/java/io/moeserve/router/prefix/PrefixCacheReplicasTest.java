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
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two router replicas sharing Redis (the machine's, under a namespace of this test): a prefix
 * prefilled on A is reused on B, and the tokens are those of the no-cache path.
 */
class PrefixCacheReplicasTest {

    static PrefixCache cache(String namespace, KvBlockCodec.Encoding enc) {
        KvCacheClientConfig cfg = KvCacheClientConfig.defaults().withNamespace(namespace).withTimeout(Duration.ofSeconds(2));
        return new PrefixCache(KvCacheClient.direct(cfg), "tiny-moe", TestModel.runtime().config(), enc, new SimpleMeterRegistry());
    }

    static CollectingSink.Outcome run(Scheduler s, int[] prompt) throws Exception {
        CollectingSink sink = new CollectingSink();
        s.submit(new GenerationRequest("p", prompt, new SamplingParams(0, 1, 0, null, 16, List.of(), true)), sink);
        return sink.done.get(120, TimeUnit.SECONDS);
    }

    @Test
    void prefixPrefilledOnReplicaA_hitsAll32BlocksOnReplicaB_withNoCacheTokens() throws Exception {
        String ns = "moe:kv:test-" + UUID.randomUUID();
        int[] prompt = new int[512 + 7];
        SplittableRandom r = new SplittableRandom(11);
        for (int i = 0; i < prompt.length; i++) prompt[i] = 1 + r.nextInt(4000);
        Scheduler plain = TestModel.scheduler(4, 8, null);
        PrefixCache cacheA = cache(ns, KvBlockCodec.Encoding.BF16), cacheB = cache(ns, KvBlockCodec.Encoding.BF16);
        Scheduler a = TestModel.scheduler(4, 8, cacheA), b = TestModel.scheduler(4, 8, cacheB);
        try {
            CollectingSink.Outcome reference = run(plain, prompt);
            CollectingSink.Outcome onA = run(a, prompt);
            assertThat(onA.usage().cachedTokens()).isZero();
            assertThat(onA.tokens()).isEqualTo(reference.tokens());
            // The write-back is asynchronous: wait until B can see all 32 blocks.
            var keys = io.moeserve.core.kvcache.BlockHasher.chain("tiny-moe", prompt, 512);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (cacheB.client().longestPrefix("tiny-moe", keys) < 32 && System.nanoTime() < deadline) Thread.sleep(20);
            CollectingSink.Outcome onB = run(b, prompt);
            assertThat(onB.usage().cachedTokens()).isEqualTo(512);
            assertThat(onB.tokens()).isEqualTo(reference.tokens());
        } finally {
            plain.close();
            a.close();
            b.close();
            cacheA.close();
            cacheB.close();
        }
    }
}
