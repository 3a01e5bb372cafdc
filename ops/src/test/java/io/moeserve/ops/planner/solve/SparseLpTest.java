package io.moeserve.ops.planner.solve;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

class SparseLpTest {

    @BeforeAll
    static void natives() {
        IlpSolver.loadNatives();
    }

    /** min -x - 2y  s.t. x + y <= 3, 0 <= x <= 2, 0 <= y <= 2: optimum -5 at (1, 2). */
    private static SparseLp small() {
        SparseLp lp = new SparseLp();
        int x = lp.var(0, 2, -1);
        int y = lp.var(0, 2, -2);
        lp.row(new int[] {x, y}, new double[] {1, 1}, Double.NEGATIVE_INFINITY, 3);
        return lp;
    }

    @Test
    void lowerBound_reachesTheLpOptimum() {
        assertThat(small().lowerBound(1000)).isCloseTo(-5, org.assertj.core.data.Offset.offset(1e-9));
    }

    @Test
    void dualBound_neverExceedsTheOptimum_whateverTheMultipliers() {
        SparseLp lp = small();
        SplittableRandom rnd = new SplittableRandom(3);
        for (int i = 0; i < 200; i++) {
            double y = (rnd.nextDouble() - 0.5) * 10; // wrong signs included: they must only weaken it
            assertThat(lp.dualBound(new double[] {y})).isLessThanOrEqualTo(-5 + 1e-12);
        }
    }
}
