package io.moeserve.ops.planner;

import io.moeserve.ops.planner.stats.MovingStats;
import io.moeserve.ops.planner.stats.WindowStats;
import io.moeserve.ops.planner.trace.RoutingTrace;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StatisticsTest {

    /** 2 tokens x 2 layers x top-2 over 4 experts. */
    private static RoutingTrace tiny() {
        return new RoutingTrace(2, 4, 2, new int[] {
                0, 1, /* layer 1 */ 2, 3,
                0, 2, /* layer 1 */ 2, 1});
    }

    @Test
    void windowStats_countLoadsPairsAndTransitions() {
        WindowStats s = WindowStats.of(tiny());

        assertThat(s.tokens()).isEqualTo(2);
        assertThat(s.load()[0]).containsExactly(2, 1, 1, 0);
        assertThat(s.load()[1]).containsExactly(0, 1, 2, 1);
        assertThat(s.coact(0, 0, 1)).isEqualTo(1);
        assertThat(s.coact(0, 1, 0)).isEqualTo(1);
        assertThat(s.coact(0, 0, 2)).isEqualTo(1);
        assertThat(s.coact(0, 1, 2)).isZero();
        assertThat(s.coact(1, 2, 3)).isEqualTo(1);
        // token 0: {0,1} -> {2,3}; token 1: {0,2} -> {2,1}
        double[] tr = s.transitions()[0];
        assertThat(tr[0 * 4 + 2]).isEqualTo(2);
        assertThat(tr[1 * 4 + 3]).isEqualTo(1);
        assertThat(tr[2 * 4 + 1]).isEqualTo(1);
        assertThat(tr[3 * 4 + 0]).isZero();
        assertThat(s.skew(0)).isEqualTo(2.0);
    }

    @Test
    void movingAverage_weighsTheNewestWindowByAlpha() {
        MovingStats m = new MovingStats(0.25);
        WindowStats a = WindowStats.of(tiny());
        WindowStats b = WindowStats.of(new RoutingTrace(2, 4, 2, new int[] {3, 2, 0, 1, 3, 1, 0, 2}));

        m.update(a);
        WindowStats avg = m.update(b);

        assertThat(avg.load()[0][0]).isEqualTo(0.75 * 2 + 0.25 * 0);
        assertThat(avg.load()[0][3]).isEqualTo(0.75 * 0 + 0.25 * 2);
        assertThat(avg.coact(0, 2, 3)).isEqualTo(0.25 * 1);
        assertThat(m.current()).isSameAs(avg);
    }

    @Test
    void movingAverage_refusesStatisticsOfAnotherShape() {
        MovingStats m = new MovingStats(0.5);
        m.update(WindowStats.of(tiny()));
        WindowStats other = WindowStats.of(new RoutingTrace(1, 4, 2, new int[] {0, 1}));
        assertThatThrownBy(() -> m.update(other)).hasMessageContaining("cannot be averaged");
        assertThatThrownBy(() -> new MovingStats(0)).hasMessageContaining("alpha");
    }
}
