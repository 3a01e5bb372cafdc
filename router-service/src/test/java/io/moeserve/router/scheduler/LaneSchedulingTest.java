package io.moeserve.router.scheduler;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.moeserve.core.engine.ExpertBackend;
import io.moeserve.core.engine.LocalExperts;
import io.moeserve.core.engine.Routing;
import io.moeserve.core.sampling.SamplingParams;
import io.moeserve.router.TestModel;
import io.moeserve.router.model.ModelRuntime;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two lanes over experts that answer after a delay, as remote ones do (a fake backend: the Kafka
 * path is covered by DistributedSchedulerTest): steps overlap, tokens stay those of a request alone,
 * a failing layer fails only its own lane, and a plan switch waits until nothing is in flight.
 */
class LaneSchedulingTest {
    /** Local experts answered on another thread after a delay; counts what is in flight. */
    static final class SlowExperts implements ExpertBackend {
        final LocalExperts local = LocalExperts.all(TestModel.runtime().engine().checkpoint(), false);
        final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
        final AtomicInteger inFlight = new AtomicInteger();
        final AtomicInteger maxInFlight = new AtomicInteger();
        final AtomicBoolean switchPending = new AtomicBoolean();
        final AtomicInteger boundariesWithWorkInFlight = new AtomicInteger();
        final AtomicInteger switches = new AtomicInteger();
        volatile int failAtLeastTokens = Integer.MAX_VALUE;

        @Override
        public float[] compute(Routing routing) {
            return local.compute(routing);
        }

        @Override
        public CompletableFuture<float[]> computeAsync(Routing routing) {
            maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
            CompletableFuture<float[]> f = new CompletableFuture<>();
            boolean fail = routing.n() >= failAtLeastTokens;
            if (fail) failAtLeastTokens = Integer.MAX_VALUE;
            timer.schedule(() -> {
                inFlight.decrementAndGet();
                try {
                    if (fail) throw new IllegalStateException("expert lost");
                    f.complete(local.compute(routing));
                } catch (RuntimeException e) {
                    f.completeExceptionally(e);
                }
            }, 2, TimeUnit.MILLISECONDS);
            return f;
        }

        @Override
        public boolean planSwitchPending() {
            return switchPending.get();
        }

        @Override
        public void stepBoundary() {
            if (inFlight.get() != 0) boundariesWithWorkInFlight.incrementAndGet();
            if (switchPending.compareAndSet(true, false)) switches.incrementAndGet();
        }
    }

    SlowExperts experts = new SlowExperts();
    Scheduler scheduler = new Scheduler(ModelRuntime.create("tiny-moe", TestModel.runtime().engine().checkpoint(), experts),
            TestModel.props(16, 16), 2, new SchedulerMetrics(new SimpleMeterRegistry(), "tiny-moe"));

    @AfterEach
    void stop() {
        scheduler.close();
        experts.timer.shutdownNow();
    }

    static List<int[]> prompts(int count, int seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<int[]> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int[] p = new int[3 + r.nextInt(40)];
            for (int j = 0; j < p.length; j++) p[j] = 1 + r.nextInt(4000);
            out.add(p);
        }
        return out;
    }

    List<CollectingSink> submit(List<int[]> prompts, int maxTokens) {
        List<CollectingSink> sinks = new ArrayList<>();
        for (int[] p : prompts) {
            CollectingSink s = new CollectingSink();
            scheduler.submit(new GenerationRequest("lane", p, new SamplingParams(0, 1, 0, null, maxTokens, List.of(), true)), s);
            sinks.add(s);
        }
        return sinks;
    }

    @Test
    void twoLanes_overlapTheirSteps_andEachRequestGetsItsAloneGreedyTokens() throws Exception {
        List<int[]> prompts = prompts(6, 11);
        List<CollectingSink> sinks = submit(prompts, 10);
        for (int i = 0; i < prompts.size(); i++) {
            var o = sinks.get(i).done.get(120, TimeUnit.SECONDS);
            assertThat(o.tokens().stream().mapToInt(Integer::intValue).toArray()).as("prompt %d", i)
                    .containsExactly(SchedulerTest.aloneGreedy(prompts.get(i), 10));
        }
        assertThat(experts.maxInFlight.get()).as("layers of both lanes at the experts at once").isEqualTo(2);
    }

    @Test
    void pendingPlanSwitch_waitsUntilNoStepIsInFlight() throws Exception {
        List<CollectingSink> sinks = submit(prompts(6, 12), 40);
        Thread.sleep(100);
        experts.switchPending.set(true);
        for (CollectingSink s : sinks) s.done.get(120, TimeUnit.SECONDS);
        assertThat(experts.switches.get()).as("the plan was switched").isEqualTo(1);
        assertThat(experts.boundariesWithWorkInFlight.get()).as("boundaries called with a layer in flight").isZero();
    }

    @Test
    void failingLayer_failsOnlyItsOwnLane_theOtherLaneFinishes() throws Exception {
        // A prompt longer than any other step: its lane's first step fails, the other lane goes on.
        int[] odd = prompts(1, 13).getFirst();
        int[] marked = new int[97];
        System.arraycopy(odd, 0, marked, 0, Math.min(odd.length, marked.length));
        for (int i = odd.length; i < marked.length; i++) marked[i] = 7;
        List<CollectingSink> first = submit(prompts(3, 14), 30);
        Thread.sleep(50);
        experts.failAtLeastTokens = 90;
        List<CollectingSink> failing = submit(List.of(marked), 5);
        var error = failing.getFirst().done.handle((o, e) -> e).get(60, TimeUnit.SECONDS);
        assertThat(error).as("the failed lane's request gets the error").isNotNull();
        int finished = 0;
        for (CollectingSink s : first) {
            if (s.done.handle((o, e) -> e == null).get(60, TimeUnit.SECONDS)) finished++;
        }
        assertThat(finished).as("requests of the other lane that completed").isGreaterThanOrEqualTo(1);
        // and the scheduler still serves new requests
        assertThat(submit(prompts(1, 15), 3).getFirst().done.get(60, TimeUnit.SECONDS).tokens()).hasSize(3);
    }
}
