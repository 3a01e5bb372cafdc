package io.moeserve.router.stats;

import io.moeserve.core.engine.ExpertBackend;
import io.moeserve.core.engine.Routing;
import io.moeserve.core.wire.RoutingStatsMessage;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

class RoutingStatsRecorderTest {

    private final AtomicInteger boundaries = new AtomicInteger();
    private final ExpertBackend zeros = new ExpertBackend() {
        @Override
        public float[] compute(Routing r) {
            return new float[r.n() * r.hiddenSize()];
        }

        @Override
        public void stepBoundary() {
            boundaries.incrementAndGet();
        }
    };

    private static Routing routing(int layer, int... experts) {
        int n = experts.length / 2;
        return new Routing(layer, n, 1, new float[n], 2, experts, new float[experts.length]);
    }

    @Test
    void countsLoadCoactivationAndTransitions_perToken() {
        var rec = new RoutingStatsRecorder(zeros, 3, 2, 4, 2);
        rec.compute(routing(0, 0, 1, 2, 3));   // token 0 -> {0,1}, token 1 -> {2,3}
        rec.compute(routing(1, 1, 3, 1, 2));   // token 0 -> {1,3}, token 1 -> {1,2}
        RoutingStatsMessage m = rec.drain().validate();
        assertThat(m.routerId()).isEqualTo(3);
        assertThat(m.tokens()).isEqualTo(2);
        assertThat(m.load()).isDeepEqualTo(new long[][]{{1, 1, 1, 1}, {0, 2, 1, 1}});
        assertThat(m.coact()).containsExactly(new long[]{0, 0, 1, 1}, new long[]{0, 2, 3, 1}, new long[]{1, 1, 2, 1},
                new long[]{1, 1, 3, 1});
        // token 0: {0,1} x {1,3}; token 1: {2,3} x {1,2}
        assertThat(m.transitions()).containsExactly(new long[]{0, 0, 1, 1}, new long[]{0, 0, 3, 1}, new long[]{0, 1, 1, 1},
                new long[]{0, 1, 3, 1}, new long[]{0, 2, 1, 1}, new long[]{0, 2, 2, 1}, new long[]{0, 3, 1, 1}, new long[]{0, 3, 2, 1});
    }

    @Test
    void alternatingMicroBatches_pairEachLayerWithItsOwnPreviousLayer() {
        var rec = new RoutingStatsRecorder(zeros, 0, 2, 4, 2);
        rec.computeAsync(routing(0, 0, 1));          // A0
        rec.computeAsync(routing(0, 2, 3));          // B0
        rec.computeAsync(routing(1, 0, 1));          // A1: continues A0
        rec.computeAsync(routing(1, 2, 3));          // B1: continues B0
        RoutingStatsMessage m = rec.drain();
        assertThat(m.transitions()).containsExactly(new long[]{0, 0, 0, 1}, new long[]{0, 0, 1, 1}, new long[]{0, 1, 0, 1},
                new long[]{0, 1, 1, 1}, new long[]{0, 2, 2, 1}, new long[]{0, 2, 3, 1}, new long[]{0, 3, 2, 1}, new long[]{0, 3, 3, 1});
    }

    @Test
    void drain_startsAFreshWindow_andStepBoundaryReachesTheBackend() {
        var rec = new RoutingStatsRecorder(zeros, 0, 2, 4, 2);
        rec.compute(routing(0, 0, 1));
        rec.stepBoundary();
        rec.compute(routing(1, 2, 3)); // its layer-0 half belonged to the previous step: no transition
        RoutingStatsMessage first = rec.drain();
        assertThat(first.transitions()).isEmpty();
        assertThat(boundaries).hasValue(1);
        RoutingStatsMessage second = rec.drain();
        assertThat(second.tokens()).isZero();
        assertThat(second.window()).isEqualTo(first.window() + 1);
        assertThat(second.load()[0]).containsOnly(0L);
    }
}
