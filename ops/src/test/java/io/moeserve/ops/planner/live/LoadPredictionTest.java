package io.moeserve.ops.planner.live;

import io.moeserve.core.placement.InstanceSpec;
import io.moeserve.core.placement.PlacementPlan;
import io.moeserve.core.wire.RoutingStatsMessage;
import io.moeserve.ops.planner.ModelShape;
import io.moeserve.ops.planner.cost.PlanEvaluator;
import io.moeserve.ops.planner.solve.CostWeights;
import io.moeserve.ops.planner.solve.IlpSolver;
import io.moeserve.ops.planner.solve.PlanningProblem;
import io.moeserve.ops.planner.stats.WindowStats;
import io.moeserve.ops.planner.trace.RoutingTrace;
import io.moeserve.ops.planner.trace.TraceReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class LoadPredictionTest {

    static Path trace() throws URISyntaxException {
        return Path.of(LoadPredictionTest.class.getResource("/traces/tiny-moe-kjv.csv").toURI());
    }

    /**
     * The bar's prediction check on the tiny-moe trace, offline: plan from the statistics of the
     * first half of the text, predict each instance's load of the second half from the plan's
     * shares, and replay the second half through the router's own replica selector.
     */
    @ParameterizedTest(name = "{0} instances, {1} replica slots")
    @CsvSource({"2, 0", "2, 2", "3, 4", "4, 4"})
    void predictedInstanceLoads_matchTheRoutersReplay_ofUnseenTextWithin5Percent(int instances, int replicas) throws Exception {
        RoutingTrace all = TraceReader.read(trace(), 16);
        RoutingTrace first = all.slice(0, all.tokens() / 2);
        RoutingTrace second = all.slice(all.tokens() / 2, all.tokens());
        List<InstanceSpec> specs = new ArrayList<>();
        for (int i = 0; i < instances; i++) specs.add(InstanceSpec.of("expert-" + i, i, 1L << 34));
        IlpSolver.loadNatives();
        var problem = new PlanningProblem("tiny-moe", 2, WindowStats.of(first), specs, replicas, ModelShape.TINY_MOE.expertBytes(), null,
                CostWeights.defaults(instances), 2, 1, 0);
        PlacementPlan plan = new IlpSolver().solve(problem).plan();

        double[] predicted = LoadPrediction.perInstance(plan, WindowStats.of(second));
        long[][] replayed = PlanEvaluator.evaluate(plan, second).instanceLoad();
        for (int i = 0; i < instances; i++) {
            long measured = 0;
            for (long[] layer : replayed) measured += layer[i];
            System.out.printf("%d instances, %d replica slots, instance %d: predicted %.1f, replayed %d (%+.2f%%)%n", instances, replicas,
                    i, predicted[i], measured, 100 * (measured / predicted[i] - 1));
            assertThat(measured / predicted[i]).as("instance %d", i).isCloseTo(1.0, within(0.05));
        }
    }

    @Test
    void windowsOfSeveralRouters_areSummed() {
        var a = new RoutingStatsMessage(1, 0, 0, 0, 1, 1, 2, 2, 3, new long[][]{{3, 3}}, List.<long[]>of(new long[]{0, 0, 1, 3}), List.of());
        var b = new RoutingStatsMessage(1, 1, 0, 0, 1, 1, 2, 2, 1, new long[][]{{1, 1}}, List.<long[]>of(new long[]{0, 0, 1, 1}), List.of());
        WindowStats s = LoadPrediction.toWindowStats(List.of(a, b));
        assertThat(s.tokens()).isEqualTo(4);
        assertThat(s.load()[0]).containsExactly(4, 4);
        assertThat(s.coact(0, 0, 1)).isEqualTo(4);
        assertThat(s.coact(0, 1, 0)).isEqualTo(4);
    }
}
