package io.moeserve.core.checkpoint;

import io.moeserve.core.model.ModelConfig;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A Hugging Face model directory: {@code config.json} plus {@code model.safetensors} or shards listed
 * in {@code model.safetensors.index.json}. All shard files are mapped, none is copied; tensors are
 * looked up by name across shards.
 */
public final class Checkpoint implements AutoCloseable {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final Path dir;
    private final ModelConfig config;
    private final List<SafeTensorsFile> files;
    private final Map<String, TensorRef> tensors = new HashMap<>();

    private Checkpoint(Path dir, ModelConfig config, List<SafeTensorsFile> files) {
        this.dir = dir;
        this.config = config;
        this.files = files;
        for (SafeTensorsFile f : files) {
            for (TensorRef t : f.tensors().values()) {
                TensorRef prev = tensors.put(t.name(), t);
                if (prev != null) {
                    throw new CheckpointException("tensor " + t.name() + " appears in both " + prev.file() + " and " + t.file());
                }
            }
        }
        refuseUnknownTensors();
    }

    /** Never run a checkpoint half-understood: a tensor the engine would not read is an error, not a skip. */
    private void refuseUnknownTensors() {
        List<String> unknown = tensors.values().stream()
                .filter(t -> !config.architecture().understands(t.name(), config.numLayers(), config.numExperts()))
                .map(t -> t.name() + " (" + t.file() + ")").sorted().toList();
        if (!unknown.isEmpty()) {
            throw new CheckpointException(dir + " holds " + unknown.size() + " tensor(s) that a "
                    + config.architecture().hfName() + " with " + config.numLayers() + " layers and " + config.numExperts()
                    + " experts does not have, which moeserve would ignore: "
                    + String.join(", ", unknown.subList(0, Math.min(5, unknown.size()))) + (unknown.size() > 5 ? ", ..." : ""));
        }
    }

    public static Checkpoint open(Path dir) {
        if (!Files.isDirectory(dir)) throw new CheckpointException("model directory " + dir + " does not exist");
        ModelConfig config = ModelConfig.load(dir);
        List<Path> shardPaths = shardPaths(dir);
        List<SafeTensorsFile> files = new ArrayList<>();
        try {
            for (Path p : shardPaths) files.add(SafeTensorsFile.open(p));
            return new Checkpoint(dir, config, files);
        } catch (RuntimeException e) {
            files.forEach(SafeTensorsFile::close);
            throw e;
        }
    }

    private static List<Path> shardPaths(Path dir) {
        Path index = dir.resolve("model.safetensors.index.json");
        if (Files.exists(index)) {
            try {
                JsonNode map = JSON.readTree(Files.readString(index)).path("weight_map");
                if (!map.isObject()) throw new CheckpointException(index + " has no weight_map object");
                Set<String> names = new LinkedHashSet<>();
                map.properties().forEach(e -> names.add(e.getValue().asString()));
                List<Path> out = new ArrayList<>();
                for (String n : names) {
                    Path p = dir.resolve(n).normalize();
                    if (!p.startsWith(dir.normalize())) throw new CheckpointException(index + " names a shard outside the model directory: " + n);
                    if (!Files.exists(p)) throw new CheckpointException("shard " + n + " listed in " + index.getFileName() + " does not exist");
                    out.add(p);
                }
                return out;
            } catch (IOException e) {
                throw new CheckpointException("cannot read " + index + ": " + e.getMessage(), e);
            } catch (tools.jackson.core.JacksonException e) {
                throw new CheckpointException(index + " is not valid JSON: " + e.getOriginalMessage(), e);
            }
        }
        Path single = dir.resolve("model.safetensors");
        if (!Files.exists(single)) {
            throw new CheckpointException("model directory " + dir + " has neither model.safetensors nor model.safetensors.index.json");
        }
        return List.of(single);
    }

    public ModelConfig config() {
        return config;
    }

    public Path dir() {
        return dir;
    }

    public boolean has(String name) {
        return tensors.containsKey(name);
    }

    /** The names of all tensors, across shards. */
    public Set<String> tensorNames() {
        return java.util.Collections.unmodifiableSet(tensors.keySet());
    }

    public TensorRef tensor(String name) {
        TensorRef t = tensors.get(name);
        if (t == null) throw new CheckpointException("tensor " + name + " is missing from the checkpoint in " + dir);
        return t;
    }

    /** Total bytes of the mapped checkpoint files (for memory accounting). */
    public long fileBytes() {
        long n = 0;
        for (SafeTensorsFile f : files) {
            try {
                n += Files.size(f.path());
            } catch (IOException e) {
                throw new CheckpointException("cannot stat " + f.path(), e);
            }
        }
        return n;
    }

    @Override
    public void close() {
        files.forEach(SafeTensorsFile::close);
    }
}
