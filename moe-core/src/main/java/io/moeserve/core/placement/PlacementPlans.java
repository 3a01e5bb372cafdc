package io.moeserve.core.placement;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads and writes {@link PlacementPlan}s as JSON and builds the start-up plan. Every read plan is
 * validated, so a consumer never acts on a plan that leaves an expert without a home.
 */
public final class PlacementPlans {

    /** Unknown fields are ignored so that older readers accept plans from newer planners. */
    private static final JsonMapper JSON = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .build();

    private PlacementPlans() {
    }

    public static String toJson(PlacementPlan plan) {
        return JSON.writeValueAsString(plan);
    }

    /** Parses and validates a plan; any problem is an {@link IllegalArgumentException} with a precise message. */
    public static PlacementPlan fromJson(String json) {
        return parse(json, "placement plan");
    }

    public static PlacementPlan read(Path file) {
        String json;
        try {
            json = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("placement plan file " + file + " does not exist", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read placement plan " + file + ": " + e.getMessage(), e);
        }
        return parse(json, file.toString());
    }

    public static void write(PlacementPlan plan, Path file) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            Files.writeString(file, toJson(plan) + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write placement plan " + file + ": " + e.getMessage(), e);
        }
    }

    private static PlacementPlan parse(String json, String source) {
        PlacementPlan plan;
        try {
            plan = JSON.readValue(json, PlacementPlan.class);
        } catch (JacksonException e) {
            String at = e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr()
                    + ", column " + e.getLocation().getColumnNr() + ")";
            throw new IllegalArgumentException(source + " is not a placement plan: "
                    + e.getOriginalMessage().lines().findFirst().orElse("") + at, e);
        } catch (NullPointerException e) {
            throw new IllegalArgumentException(source + " is not a placement plan: " + e.getMessage(), e);
        }
        if (plan == null) throw new IllegalArgumentException(source + " is empty");
        try {
            return plan.validate();
        } catch (InvalidPlanException e) {
            throw new InvalidPlanException(source + ": " + e.getMessage(), e.problems());
        }
    }

    /**
     * The plan every expert service starts from before a planner has spoken: expert {@code e} of
     * layer {@code l} goes to instance {@code (l * experts + e) mod n}, one replica each. With
     * {@code experts} a multiple of {@code n} this is simply {@code e mod n} on every layer.
     */
    public static PlacementPlan roundRobin(String modelId, int layers, int experts, List<InstanceSpec> instances) {
        if (instances.isEmpty()) throw new IllegalArgumentException("round-robin plan needs at least one instance");
        List<ExpertPlacement> placements = new ArrayList<>(layers * experts);
        for (int l = 0; l < layers; l++) {
            for (int e = 0; e < experts; e++) {
                String id = instances.get((int) (((long) l * experts + e) % instances.size())).id();
                placements.add(ExpertPlacement.single(l, e, id));
            }
        }
        return new PlacementPlan(1, modelId, layers, experts, instances, placements).validate();
    }

    /** {@code n} instances named {@code expert-0..n-1} on partitions {@code 0..n-1}, reference speed. */
    public static List<InstanceSpec> uniformInstances(int n, long memoryBytes) {
        List<InstanceSpec> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) out.add(InstanceSpec.of("expert-" + i, i, memoryBytes));
        return out;
    }
}
