package io.moeserve.router.scheduler;

import io.moeserve.core.engine.Engine;
import io.moeserve.core.generate.FinishReason;
import io.moeserve.core.generate.Generator;
import io.moeserve.core.sampling.SamplingParams;
import io.moeserve.router.TestModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Continuous batching gives every request the tokens it would get alone. */
class SchedulerTest {
    static Scheduler scheduler;

    @BeforeAll
    static void start() {
        scheduler = TestModel.scheduler(8, 4, null);
    }

    @AfterAll
    static void stop() {
        scheduler.close();
    }

    static int[] aloneGreedy(int[] prompt, int maxTokens) {
        Engine engine = TestModel.runtime().engine();
        SamplingParams p = new SamplingParams(0, 1, 0, null, maxTokens, List.of(), true);
        return new Generator(engine, TestModel.runtime().tokenizer()).generate(prompt, p, t -> { }).tokens();
    }

    @Test
    void concurrentRequestsWithMixedPromptLengths_eachGetsItsAloneGreedyTokens() throws Exception {
        SplittableRandom r = new SplittableRandom(3);
        List<int[]> prompts = new ArrayList<>();
        // Long prompts (chunked over several steps of 256 tokens) mixed with short ones.
        for (int len : new int[]{5, 600, 17, 300, 1, 40, 513, 9}) {
            int[] p = new int[len];
            for (int i = 0; i < len; i++) p[i] = 1 + r.nextInt(4000);
            prompts.add(p);
        }
        List<CollectingSink> sinks = new ArrayList<>();
        Scheduler big = TestModel.scheduler(8, 16, null);
        try {
            for (int[] p : prompts) {
                CollectingSink s = new CollectingSink();
                big.submit(new GenerationRequest("r", p, new SamplingParams(0, 1, 0, null, 12, List.of(), true)), s);
                sinks.add(s);
            }
            for (int i = 0; i < prompts.size(); i++) {
                CollectingSink.Outcome o = sinks.get(i).done.get(120, TimeUnit.SECONDS);
                assertThat(o.tokens().stream().mapToInt(Integer::intValue).toArray())
                        .as("prompt %d (%d tokens)", i, prompts.get(i).length)
                        .containsExactly(aloneGreedy(prompts.get(i), 12));
                assertThat(o.reason()).isEqualTo(FinishReason.LENGTH);
                assertThat(o.usage().promptTokens()).isEqualTo(prompts.get(i).length);
                assertThat(o.usage().completionTokens()).isEqualTo(12);
            }
        } finally {
            big.close();
        }
    }

    @Test
    void fullQueue_refusesWithOverloadedInsteadOfGrowing() {
        Scheduler tiny = TestModel.scheduler(1, 1, null);
        try {
            int[] prompt = new int[800];
            Arrays.fill(prompt, 7);
            SamplingParams p = new SamplingParams(0, 1, 0, null, 200, List.of(), true);
            assertThatThrownBy(() -> {
                for (int i = 0; i < 10; i++) tiny.submit(new GenerationRequest("r" + i, prompt, p), new CollectingSink());
            }).isInstanceOf(OverloadedException.class).hasMessageContaining("overloaded");
        } finally {
            tiny.close();
        }
    }

    @Test
    void cancelledRequest_leavesTheBatchAtTheNextStep() throws Exception {
        int[] prompt = {5, 6, 7};
        CollectingSink sink = new CollectingSink();
        GenerationHandle h = scheduler.submit(new GenerationRequest("c", prompt,
                new SamplingParams(0, 1, 0, null, 1000, List.of(), true)), sink);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (scheduler.runningCount() == 0 && System.nanoTime() < deadline) Thread.sleep(5);
        h.cancel();
        deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (!h.isDone() && System.nanoTime() < deadline) Thread.sleep(5);
        assertThat(h.isDone()).isTrue();
        assertThat(scheduler.runningCount()).isZero();
    }

    @Test
    void stopSequence_endsWithStopAndIsNotEmitted() throws Exception {
        int[] prompt = TestModel.runtime().tokenizer().encode("In the beginning God created");
        String full = TestModel.runtime().tokenizer().decode(aloneGreedy(prompt, 20));
        String stop = full.substring(full.length() / 2, full.length() / 2 + 3);
        CollectingSink sink = new CollectingSink();
        scheduler.submit(new GenerationRequest("s", prompt, new SamplingParams(0, 1, 0, null, 20, List.of(stop), true)), sink);
        CollectingSink.Outcome o = sink.done.get(60, TimeUnit.SECONDS);
        assertThat(o.reason()).isEqualTo(FinishReason.STOP);
        assertThat(o.text()).isEqualTo(full.substring(0, full.indexOf(stop)));
    }
}
