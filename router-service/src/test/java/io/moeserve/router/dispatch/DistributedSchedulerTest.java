package io.moeserve.router.dispatch;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.moeserve.core.engine.Engine;
import io.moeserve.core.engine.LocalExperts;
import io.moeserve.core.generate.Generator;
import io.moeserve.core.placement.PlacementPlan;
import io.moeserve.core.placement.PlacementPlans;
import io.moeserve.core.sampling.SamplingParams;
import io.moeserve.core.wire.Topics;
import io.moeserve.kafka.LocalKafka;
import io.moeserve.router.TestModel;
import io.moeserve.router.model.ModelRuntime;
import io.moeserve.router.scheduler.CollectingSink;
import io.moeserve.router.scheduler.GenerationRequest;
import io.moeserve.router.scheduler.Scheduler;
import io.moeserve.router.scheduler.SchedulerMetrics;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The whole router (continuous batching, two overlapping lanes) over a real broker and expert
 * instances: 8 concurrent requests batched together get the monolithic engine's greedy tokens, also
 * when an instance stops mid-generation.
 */
class DistributedSchedulerTest {
    static final int MAX_TOKENS = 16;
    static LocalKafka kafka;
    static List<int[]> prompts = new ArrayList<>();
    static List<int[]> expected = new ArrayList<>();
    static int routerId = 40;

    @BeforeAll
    static void start() throws Exception {
        kafka = LocalKafka.shared();
        kafka.createTopics(Map.of(Topics.DISPATCH, 4, Topics.COMBINE, 64));
        JsonNode golden = JsonMapper.builder().build().readTree(Files.readString(TestModel.dir().resolve("golden.json")));
        for (JsonNode c : golden.get("cases")) {
            int[] ids = new int[c.get("input_ids").size()];
            for (int i = 0; i < ids.length; i++) ids[i] = c.get("input_ids").get(i).asInt();
            prompts.add(ids);
        }
        prompts.add(TestModel.runtime().tokenizer().encode("And God said, Let there be light: and there was light."));
        Engine mono = TestModel.runtime().engine();
        for (int[] p : prompts) {
            expected.add(new Generator(mono, TestModel.runtime().tokenizer()).generate(p, params(), t -> { }).tokens());
        }
    }

    static SamplingParams params() {
        return new SamplingParams(0, 1, 0, null, MAX_TOKENS, List.of(), true);
    }

    Scheduler router(KafkaExpertBackend backend) {
        ModelRuntime base = TestModel.runtime();
        ModelRuntime rt = ModelRuntime.create("tiny-moe", base.engine().checkpoint(), backend);
        return new Scheduler(rt, TestModel.props(8, 16), 2,
                new SchedulerMetrics(new SimpleMeterRegistry(), "tiny-moe"), null);
    }

    KafkaExpertBackend backend(PlacementPlan plan) {
        var s = KafkaExpertBackend.Settings.of(kafka.bootstrapServers(), routerId++).withDeadline(Duration.ofMillis(1500));
        return new KafkaExpertBackend(s, plan, new LocalExperts(TestModel.runtime().engine().checkpoint(), false),
                new SimpleMeterRegistry()).start();
    }

    List<CollectingSink> submitAll(Scheduler scheduler) {
        List<CollectingSink> sinks = new ArrayList<>();
        for (int[] p : prompts) {
            CollectingSink s = new CollectingSink();
            scheduler.submit(new GenerationRequest("d", p, params()), s);
            sinks.add(s);
        }
        return sinks;
    }

    void assertMonolithicTokens(List<CollectingSink> sinks) throws Exception {
        for (int i = 0; i < sinks.size(); i++) {
            var o = sinks.get(i).done.get(180, TimeUnit.SECONDS);
            assertThat(o.tokens().stream().mapToInt(Integer::intValue).toArray()).as("prompt %d", i).containsExactly(expected.get(i));
        }
    }

    @Test
    void eightConcurrentRequests_overTwoInstancesInTwoLanes_getMonolithicGreedyTokens() throws Exception {
        PlacementPlan plan = PlacementPlans.roundRobin("tiny-moe", 4, 16, PlacementPlans.uniformInstances(2, Long.MAX_VALUE));
        try (ExpertCluster cluster = ExpertCluster.start(kafka.bootstrapServers(), TestModel.runtime().engine().checkpoint(), plan);
             KafkaExpertBackend backend = backend(plan)) {
            Scheduler scheduler = router(backend);
            try {
                assertThat(prompts).hasSize(8);
                assertMonolithicTokens(submitAll(scheduler));
            } finally {
                scheduler.close();
            }
        }
    }

    @Test
    void expertInstanceStopsMidGeneration_everyRequestCompletesWithSameTokens() throws Exception {
        PlacementPlan plan = PlacementPlans.roundRobin("tiny-moe", 4, 16, PlacementPlans.uniformInstances(3, Long.MAX_VALUE));
        try (ExpertCluster cluster = ExpertCluster.start(kafka.bootstrapServers(), TestModel.runtime().engine().checkpoint(), plan);
             KafkaExpertBackend backend = backend(plan)) {
            Scheduler scheduler = router(backend);
            try {
                List<CollectingSink> sinks = submitAll(scheduler);
                // Stop an instance once generation is under way: its experts fail over to the router.
                sinks.getFirst().done.get(180, TimeUnit.SECONDS);
                cluster.stop("expert-1");
                assertMonolithicTokens(sinks);
            } finally {
                scheduler.close();
            }
        }
    }
}
