package io.moeserve.core.checkpoint;

import io.moeserve.core.TestModels;
import io.moeserve.core.engine.Engine;
import io.moeserve.core.engine.SeqInput;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.moeserve.core.checkpoint.CheckpointBadInputTest.copyTensor;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The bundled model cut into three shards plus model.safetensors.index.json (Hugging Face's layout
 * for big checkpoints) gives bit-identical logits; a broken index fails with a precise message.
 */
class ShardedCheckpointTest {
    static final Path TINY = TestModels.tinyMoe();
    static final int[] PROMPT = {12, 345, 678, 91, 1011, 2, 3000};

    @TempDir
    Path dir;

    /** Writes 3 shards holding the tensors in round-robin order, and the index; returns the weight map. */
    Map<String, String> shard() throws IOException {
        Files.copy(TINY.resolve("config.json"), dir.resolve("config.json"));
        Map<String, String> weightMap = new LinkedHashMap<>();
        try (Checkpoint src = Checkpoint.open(TINY)) {
            List<SafetensorsWriter> shards = List.of(new SafetensorsWriter(), new SafetensorsWriter(), new SafetensorsWriter());
            List<String> names = new ArrayList<>(src.tensorNames());
            names.sort(null);
            for (int i = 0; i < names.size(); i++) {
                copyTensor(src.tensor(names.get(i)), shards.get(i % 3));
                weightMap.put(names.get(i), shardName(i % 3));
            }
            for (int s = 0; s < 3; s++) shards.get(s).write(dir.resolve(shardName(s)));
        }
        writeIndex(weightMap);
        return weightMap;
    }

    static String shardName(int s) {
        return String.format("model-%05d-of-00003.safetensors", s + 1);
    }

    void writeIndex(Map<String, String> weightMap) throws IOException {
        Map<String, Object> index = Map.of("metadata", Map.of("total_size", 0), "weight_map", weightMap);
        Files.writeString(dir.resolve("model.safetensors.index.json"), JsonMapper.builder().build().writeValueAsString(index));
    }

    @Test
    void threeShards_giveLogitsIdenticalToTheSingleFile() throws IOException {
        shard();
        float[] single, sharded;
        try (Engine e = Engine.load(TINY)) {
            single = e.forward(List.of(new SeqInput(e.newCache(), PROMPT)))[0];
        }
        try (Engine e = Engine.load(dir)) {
            assertThat(e.checkpoint().fileBytes()).isGreaterThan(Files.size(TINY.resolve("model.safetensors")) - 4096);
            sharded = e.forward(List.of(new SeqInput(e.newCache(), PROMPT)))[0];
        }
        assertThat(sharded).containsExactly(single);
    }

    @Test
    void indexNamingAMissingShard_namesTheShardAndTheIndex() throws IOException {
        shard();
        Files.delete(dir.resolve(shardName(1)));
        assertThatThrownBy(() -> Checkpoint.open(dir)).isInstanceOf(CheckpointException.class)
                .hasMessageContaining("shard model-00002-of-00003.safetensors listed in model.safetensors.index.json does not exist");
    }

    @Test
    void indexWithoutWeightMap_isRefused() throws IOException {
        shard();
        Files.writeString(dir.resolve("model.safetensors.index.json"), "{\"metadata\": {}}");
        assertThatThrownBy(() -> Checkpoint.open(dir)).isInstanceOf(CheckpointException.class)
                .hasMessageContaining("model.safetensors.index.json has no weight_map");
    }

    @Test
    void indexPointingOutsideTheModelDirectory_isRefused() throws IOException {
        Map<String, String> map = shard();
        map.put("model.norm.weight", "../elsewhere.safetensors");
        writeIndex(map);
        assertThatThrownBy(() -> Checkpoint.open(dir)).isInstanceOf(CheckpointException.class)
                .hasMessageContaining("outside the model directory").hasMessageContaining("../elsewhere.safetensors");
    }

    @Test
    void tensorInTwoShards_namesTensorAndBothFiles() throws IOException {
        Map<String, String> map = shard();
        try (Checkpoint src = Checkpoint.open(TINY)) {
            // a fourth file the index also lists, holding a tensor a shard already has
            SafetensorsWriter extra = new SafetensorsWriter();
            copyTensor(src.tensor("model.norm.weight"), extra);
            extra.write(dir.resolve("extra.safetensors"));
        }
        map.put("extra.tensor", "extra.safetensors");
        writeIndex(map);
        assertThatThrownBy(() -> Checkpoint.open(dir)).isInstanceOf(CheckpointException.class)
                .hasMessageContaining("tensor model.norm.weight appears in both").hasMessageContaining("extra.safetensors");
    }
}
