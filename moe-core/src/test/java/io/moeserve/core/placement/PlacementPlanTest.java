package io.moeserve.core.placement;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PlacementPlanTest {

    private static final List<InstanceSpec> FOUR = PlacementPlans.uniformInstances(4, 1L << 30);

    @Test
    void roundRobin_placesEveryExpertExactlyOnce_spreadEvenly() {
        PlacementPlan plan = PlacementPlans.roundRobin("tiny-moe", 4, 16, FOUR);

        assertThat(plan.placements()).hasSize(64);
        assertThat(plan.problems()).isEmpty();
        assertThat(plan.replicas(2, 5)).containsExactly(new Replica("expert-1", 1.0));
        assertThat(plan.replicaCounts()).containsOnlyKeys("expert-0", "expert-1", "expert-2", "expert-3")
                .allSatisfy((id, n) -> assertThat(n).isEqualTo(16));
        assertThat(plan.expertsOf("expert-3")).hasSize(16)
                .contains(new ExpertId(0, 3), new ExpertId(3, 15))
                .doesNotContain(new ExpertId(0, 0));
    }

    @Test
    void roundRobin_withFewerExpertsThanInstances_stillUsesEveryInstance() {
        PlacementPlan plan = PlacementPlans.roundRobin("m", 4, 3, FOUR);
        assertThat(plan.replicaCounts().values()).containsOnly(3);
    }

    @Test
    void json_roundTrip_preservesPlanIncludingReplicas(@TempDir Path dir) {
        PlacementPlan plan = replicated();
        Path file = dir.resolve("sub/plan.json");
        PlacementPlans.write(plan, file);

        PlacementPlan back = PlacementPlans.read(file);

        assertThat(back).isEqualTo(plan);
        assertThat(back.replicas(0, 1)).extracting(Replica::share).containsExactly(0.25, 0.75);
        assertThat(PlacementPlans.fromJson(PlacementPlans.toJson(plan))).isEqualTo(plan);
    }

    @Test
    void fromJson_ignoresFieldsFromNewerPlanners() {
        String json = PlacementPlans.toJson(replicated()).replaceFirst("\\{", "{\"futureField\":42,");
        assertThat(PlacementPlans.fromJson(json).version()).isEqualTo(7);
    }

    @Test
    void placementsAreSorted_soLookupsWorkWhateverTheInputOrder() {
        List<ExpertPlacement> ps = new ArrayList<>(PlacementPlans.roundRobin("m", 2, 4, FOUR).placements());
        java.util.Collections.reverse(ps);
        PlacementPlan plan = new PlacementPlan(2, "m", 2, 4, FOUR, ps);
        assertThat(plan.placement(1, 2).expert()).isEqualTo(2);
        assertThat(plan.placements().getFirst().id()).isEqualTo(new ExpertId(0, 0));
    }

    @Test
    void validate_namesAnUnplacedExpert() {
        List<ExpertPlacement> ps = new ArrayList<>(PlacementPlans.roundRobin("m", 2, 4, FOUR).placements());
        ps.removeIf(p -> p.layer() == 1 && p.expert() == 3);
        PlacementPlan plan = new PlacementPlan(5, "m", 2, 4, FOUR, ps);

        assertThatThrownBy(plan::validate).isInstanceOf(InvalidPlanException.class)
                .hasMessage("placement plan v5: layer 1 expert 3 is not placed");
    }

    @Test
    void validate_rejectsSharesThatDoNotSumToOne() {
        PlacementPlan plan = withPlacement(new ExpertPlacement(0, 1,
                List.of(new Replica("expert-0", 0.5), new Replica("expert-1", 0.4999))));
        assertThatThrownBy(plan::validate)
                .hasMessageContaining("layer 0 expert 1 has shares summing to 0.9999 (must be 1 within 1.0E-6)");
    }

    @Test
    void validate_acceptsSharesWithinTolerance() {
        PlacementPlan plan = withPlacement(new ExpertPlacement(0, 1,
                List.of(new Replica("expert-0", 1 / 3.0), new Replica("expert-1", 2 / 3.0 + 5e-7))));
        assertThat(plan.problems()).isEmpty();
    }

    @Test
    void validate_rejectsUnknownInstanceAndTwoReplicasOnOneInstance() {
        PlacementPlan plan = withPlacement(new ExpertPlacement(0, 1,
                List.of(new Replica("ghost", 0.5), new Replica("ghost", 0.5))));
        assertThat(plan.problems()).contains("layer 0 expert 1 names unknown instance 'ghost'",
                "layer 0 expert 1 has two replicas on instance 'ghost'");
        assertThatThrownBy(plan::validate).hasMessageContaining("more problems");
    }

    @Test
    void validate_rejectsSharedPartitionAndDuplicateIds() {
        List<InstanceSpec> bad = List.of(InstanceSpec.of("a", 0, 1), InstanceSpec.of("b", 0, 1), InstanceSpec.of("a", 2, 1));
        PlacementPlan plan = new PlacementPlan(1, "m", 1, 1, bad, List.of(ExpertPlacement.single(0, 0, "a")));
        assertThat(plan.problems()).contains("instances 'a' and 'b' share partition 0", "instance id 'a' appears twice");
    }

    @Test
    void validateMemory_rejectsAnInstanceThatCannotHoldItsExperts() {
        PlacementPlan plan = PlacementPlans.roundRobin("m", 2, 4, PlacementPlans.uniformInstances(2, 1000));
        assertThat(plan.validateMemory(250)).isSameAs(plan);
        assertThatThrownBy(() -> plan.validateMemory(251))
                .hasMessageContaining("instance 'expert-0' holds 4 experts = 1004 bytes but has memoryBytes 1000");
    }

    @Test
    void read_missingFile_saysSo(@TempDir Path dir) {
        assertThatThrownBy(() -> PlacementPlans.read(dir.resolve("nope.json")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("nope.json does not exist");
    }

    @Test
    void read_malformedJson_namesFileAndPosition(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("bad.json");
        Files.writeString(f, "{\"version\": 1,\n \"numLayers\": [}");
        assertThatThrownBy(() -> PlacementPlans.read(f))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("bad.json is not a placement plan")
                .hasMessageContaining("line 2");
    }

    @Test
    void read_invalidPlan_namesFileAndProblem(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("p.json");
        PlacementPlan plan = withPlacement(new ExpertPlacement(0, 1, List.of(new Replica("expert-0", 0.3))));
        Files.writeString(f, PlacementPlans.toJson(plan));
        assertThatThrownBy(() -> PlacementPlans.read(f))
                .hasMessageContaining("p.json: placement plan v9: layer 0 expert 1 has shares summing to 0.3");
    }

    /** Round-robin for 1 layer x 4 experts with expert 1 replaced by {@code p}. */
    static PlacementPlan withPlacement(ExpertPlacement p) {
        List<ExpertPlacement> ps = new ArrayList<>(PlacementPlans.roundRobin("m", 1, 4, FOUR).placements());
        ps.set(1, p);
        return new PlacementPlan(9, "m", 1, 4, FOUR, ps);
    }

    static PlacementPlan replicated() {
        return withPlacement(new ExpertPlacement(0, 1,
                List.of(new Replica("expert-1", 0.25), new Replica("expert-2", 0.75)))).withVersion(7);
    }
}
