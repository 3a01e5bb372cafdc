package io.moeserve.router.dispatch;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.moeserve.core.checkpoint.Checkpoint;
import io.moeserve.core.engine.LocalExperts;
import io.moeserve.core.placement.PlacementPlan;
import io.moeserve.core.placement.PlacementPlans;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** A plan the follower activates is queued and only taken over between steps (no broker needed). */
class PlanSwitchTest {
    static Checkpoint checkpoint;

    @BeforeAll
    static void open() {
        checkpoint = Checkpoint.open(Path.of("../models/tiny-moe"));
    }

    @AfterAll
    static void close() {
        checkpoint.close();
    }

    static PlacementPlan plan(long version, int instances) {
        var c = checkpoint.config();
        return PlacementPlans.roundRobin("tiny-moe", c.numLayers(), c.numExperts(), PlacementPlans.uniformInstances(instances, Long.MAX_VALUE))
                .withVersion(version);
    }

    @Test
    void offeredPlan_takesEffectAtTheNextStepBoundary_notBefore() {
        try (var backend = new KafkaExpertBackend(KafkaExpertBackend.Settings.of("127.0.0.1:1", 0), plan(1, 2),
                new LocalExperts(checkpoint, false), new SimpleMeterRegistry())) {
            backend.offerPlan(plan(2, 3));
            assertThat(backend.plan().version()).as("mid-step").isEqualTo(1);
            backend.stepBoundary();
            assertThat(backend.plan().version()).isEqualTo(2);
            assertThat(backend.plan().instances()).hasSize(3);
        }
    }

    @Test
    void offeredPlanOfAnotherModelShape_isRefused_andTheActivePlanStays() {
        try (var backend = new KafkaExpertBackend(KafkaExpertBackend.Settings.of("127.0.0.1:1", 0), plan(1, 2),
                new LocalExperts(checkpoint, false), new SimpleMeterRegistry())) {
            backend.offerPlan(PlacementPlans.roundRobin("other", 2, 4, PlacementPlans.uniformInstances(2, Long.MAX_VALUE)).withVersion(5));
            backend.stepBoundary();
            assertThat(backend.plan().version()).isEqualTo(1);
        }
    }
}
