package io.moeserve.ops.stack;

import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What {@code moe up} started, saved in run/stack.json so that {@code moe down} (another process,
 * maybe much later) can stop exactly those processes and nothing else.
 */
public record StackState(String baseUrl, String apiKey, List<Service> services) {

    /** One started process. */
    public record Service(String name, long pid, int port, String log) {
    }

    private static final JsonMapper JSON = JsonMapper.builder().build();

    public static Path file(Path runDir) {
        return runDir.resolve("stack.json");
    }

    public void save(Path runDir) throws IOException {
        Files.createDirectories(runDir);
        Files.writeString(file(runDir), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(this));
    }

    public static StackState load(Path runDir) throws IOException {
        Path f = file(runDir);
        if (!Files.exists(f)) return new StackState(null, null, new ArrayList<>());
        return JSON.readValue(Files.readString(f), StackState.class);
    }
}
