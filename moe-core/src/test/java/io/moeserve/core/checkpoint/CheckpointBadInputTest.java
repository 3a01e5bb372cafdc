package io.moeserve.core.checkpoint;

import io.moeserve.core.TestModels;
import io.moeserve.core.engine.Engine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Every way a model directory can be broken fails at load with a CheckpointException whose message
 * names the file, the tensor or the limit at fault, never later and never as a bare runtime error.
 */
class CheckpointBadInputTest {
    static final Path TINY = TestModels.tinyMoe();

    @TempDir
    Path dir;

    @Test
    void missingModelDirectory_namesTheDirectory() {
        Path missing = dir.resolve("no-such-model");
        assertThatThrownBy(() -> Checkpoint.open(missing)).isInstanceOf(CheckpointException.class)
                .hasMessageContaining(missing.toString()).hasMessageContaining("does not exist");
    }

    @Test
    void missingConfigJson_namesConfigJson() throws IOException {
        link(TINY.resolve("model.safetensors"), dir.resolve("model.safetensors"));
        assertThatThrownBy(() -> Checkpoint.open(dir)).isInstanceOf(CheckpointException.class)
                .hasMessageContaining("config.json").hasMessageContaining(dir.toString());
    }

    @Test
    void missingSafetensors_namesBothAcceptedLayouts() throws IOException {
        Files.copy(TINY.resolve("config.json"), dir.resolve("config.json"));
        assertThatThrownBy(() -> Checkpoint.open(dir)).isInstanceOf(CheckpointException.class)
                .hasMessageContaining("model.safetensors").hasMessageContaining("model.safetensors.index.json");
    }

    @ParameterizedTest(name = "cut after {0} bytes")
    @ValueSource(longs = {0, 5})
    void truncatedInsideHeaderLength_saysSo(long cut) throws IOException {
        copyPrefix(cut);
        assertThatThrownBy(() -> Checkpoint.open(dir)).isInstanceOf(CheckpointException.class)
                .hasMessageContaining("model.safetensors is truncated").hasMessageContaining(cut + " bytes");
    }

    @ParameterizedTest(name = "cut after {0} bytes")
    @ValueSource(longs = {8, 9, 500})
    void truncatedInsideHeader_namesHeaderLengthAndFileSize(long cut) throws IOException {
        copyPrefix(cut);
        long headerLen = headerLength(TINY.resolve("model.safetensors"));
        assertThatThrownBy(() -> Checkpoint.open(dir)).isInstanceOf(CheckpointException.class)
                .hasMessageContaining("model.safetensors is truncated").hasMessageContaining("header length says " + headerLen)
                .hasMessageContaining("file of " + cut + " bytes");
    }

    @ParameterizedTest(name = "cut {0} bytes before the end")
    @ValueSource(longs = {1, 1000, 20_000_000})
    void truncatedInsideData_namesATensorThatNoLongerFits(long fromEnd) throws IOException {
        long size = Files.size(TINY.resolve("model.safetensors"));
        copyPrefix(size - fromEnd);
        assertThatThrownBy(() -> Checkpoint.open(dir)).isInstanceOf(CheckpointException.class)
                .hasMessageMatching("(?s)model\\.safetensors is truncated: tensor \\S+ ends at byte \\d+ but the file has "
                        + (size - fromEnd) + " bytes");
    }

    @Test
    void headerLengthLargerThanFile_isReportedAsTruncatedOrCorrupt() throws IOException {
        writeConfig(null);
        byte[] bytes = new byte[64];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(1_000_000);
        Files.write(dir.resolve("model.safetensors"), bytes);
        assertThatThrownBy(() -> Checkpoint.open(dir)).isInstanceOf(CheckpointException.class)
                .hasMessageContaining("model.safetensors is truncated or corrupt").hasMessageContaining("1000000");
    }

    @Test
    void absurdHeaderLength_isACorruptHeader() throws IOException {
        writeConfig(null);
        byte[] bytes = new byte[64];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(-5);
        Files.write(dir.resolve("model.safetensors"), bytes);
        assertThatThrownBy(() -> Checkpoint.open(dir)).isInstanceOf(CheckpointException.class)
                .hasMessageContaining("model.safetensors has a corrupt header").hasMessageContaining("-5");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"{\"a\": ", "not json at all", "[1, 2, 3]"})
    void headerNotAJsonObject_isACorruptHeader(String header) {
        Path f = new SafetensorsWriter().writeWithHeader(dir.resolve("x.safetensors"), header);
        assertThatThrownBy(() -> SafeTensorsFile.open(f)).isInstanceOf(CheckpointException.class)
                .hasMessageContaining("x.safetensors has a corrupt header");
    }

    @Test
    void shapeDisagreeingWithDataOffsets_namesTensorAndBothSizes() {
        Path f = new SafetensorsWriter().raw("model.norm.weight", "F32", new long[]{3}, new byte[16]).write(dir.resolve("x.safetensors"));
        assertThatThrownBy(() -> SafeTensorsFile.open(f)).isInstanceOf(CheckpointException.class)
                .hasMessageContaining("tensor model.norm.weight in x.safetensors")
                .hasMessageContaining("span 16 bytes").hasMessageContaining("[3] of F32 needs 12");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {
            "{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":5}}",
            "{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0]}}",
            "{\"t\":{\"dtype\":\"F32\",\"shape\":\"2\",\"data_offsets\":[0,8]}}",
            "{\"t\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}",
            "{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[-8,0]}}",
            "{\"t\":{\"dtype\":\"F32\",\"shape\":[2]}}",
            "{\"t\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,8]}}",
            "{\"t\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[9223372036854775791,9223372036854775807]}}"})
    void malformedHeaderEntry_namesTheTensorInsteadOfCrashing(String header) {
        Path f = new SafetensorsWriter().raw("pad", "F32", new long[]{2}, new byte[8]).writeWithHeader(dir.resolve("x.safetensors"), header);
        assertThatThrownBy(() -> SafeTensorsFile.open(f)).isInstanceOf(CheckpointException.class)
                .hasMessageContaining("tensor t").hasMessageContaining("x.safetensors");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"I64", "F8_E4M3", "I8", "F64"})
    void unknownDtype_namesDtypeTensorAndFile(String dtype) {
        Path f = new SafetensorsWriter().raw("model.norm.weight", dtype, new long[]{2}, new byte[16]).write(dir.resolve("x.safetensors"));
        assertThatThrownBy(() -> SafeTensorsFile.open(f)).isInstanceOf(CheckpointException.class)
                .hasMessageContaining("tensor model.norm.weight in x.safetensors has dtype " + dtype)
                .hasMessageContaining("F32, BF16, F16");
    }

    @Test
    void missingTensor_namesTensorAndDirectory() throws IOException {
        writeConfig(null);
        try (Checkpoint src = Checkpoint.open(TINY)) {
            SafetensorsWriter w = new SafetensorsWriter();
            src.tensorNames().stream().filter(n -> !n.equals("model.layers.2.self_attn.k_proj.weight"))
                    .forEach(n -> copyTensor(src.tensor(n), w));
            w.write(dir.resolve("model.safetensors"));
        }
        assertThatThrownBy(() -> Engine.load(dir)).isInstanceOf(CheckpointException.class)
                .hasMessageContaining("tensor model.layers.2.self_attn.k_proj.weight is missing").hasMessageContaining(dir.toString());
    }

    @Test
    void tensorShapeDifferingFromConfig_namesTensorFileAndBothShapes() throws IOException {
        writeConfig(cfg -> cfg.replace("\"hidden_size\": 256", "\"hidden_size\": 320"));
        link(TINY.resolve("model.safetensors"), dir.resolve("model.safetensors"));
        assertThatThrownBy(() -> Engine.load(dir)).isInstanceOf(CheckpointException.class)
                .hasMessageContaining("tensor model.embed_tokens.weight in model.safetensors has shape [4096, 256], expected [4096, 320] from config.json");
    }

    @Test
    void tensorTheArchitectureDoesNotHave_isRefusedNotIgnored() throws IOException {
        writeConfig(null);
        try (Checkpoint src = Checkpoint.open(TINY)) {
            SafetensorsWriter w = new SafetensorsWriter();
            src.tensorNames().forEach(n -> copyTensor(src.tensor(n), w));
            w.f32("model.layers.0.self_attn.q_proj.bias", new float[256], 256);
            w.f32("model.layers.4.input_layernorm.weight", new float[256], 256);
            w.write(dir.resolve("model.safetensors"));
        }
        assertThatThrownBy(() -> Checkpoint.open(dir)).isInstanceOf(CheckpointException.class)
                .hasMessageContaining("2 tensor(s)").hasMessageContaining("model.layers.0.self_attn.q_proj.bias (model.safetensors)")
                .hasMessageContaining("model.layers.4.input_layernorm.weight").hasMessageContaining("4 layers and 16 experts");
    }

    @Test
    void unsupportedArchitecture_namesItAndTheSupportedOnes() throws IOException {
        writeConfig(cfg -> cfg.replace("MixtralForCausalLM", "LlamaForCausalLM"));
        link(TINY.resolve("model.safetensors"), dir.resolve("model.safetensors"));
        assertThatThrownBy(() -> Checkpoint.open(dir)).isInstanceOf(CheckpointException.class)
                .hasMessageContaining("config.json").hasMessageContaining("unsupported architecture LlamaForCausalLM")
                .hasMessageContaining("MixtralForCausalLM").hasMessageContaining("Qwen3MoeForCausalLM").hasMessageContaining("OlmoeForCausalLM");
    }

    @Test
    void ropeScalingSet_isRefusedByName() throws IOException {
        writeConfig(cfg -> cfg.replace("\"rope_theta\": 10000.0", "\"rope_theta\": 10000.0, \"rope_scaling\": {\"type\": \"yarn\", \"factor\": 4.0}"));
        link(TINY.resolve("model.safetensors"), dir.resolve("model.safetensors"));
        assertThatThrownBy(() -> Checkpoint.open(dir)).isInstanceOf(CheckpointException.class)
                .hasMessageContaining("config.json").hasMessageContaining("\"rope_scaling\" is set");
    }

    @Test
    void headsNotAMultipleOfKvHeads_namesBothCounts() throws IOException {
        writeConfig(cfg -> cfg.replace("\"num_key_value_heads\": 4", "\"num_key_value_heads\": 3"));
        assertThatThrownBy(() -> Checkpoint.open(dir)).isInstanceOf(CheckpointException.class)
                .hasMessageContaining("num_attention_heads 8 is not a multiple of num_key_value_heads 3");
    }

    @Test
    void missingConfigKey_namesTheKey() throws IOException {
        writeConfig(cfg -> cfg.replace("\"max_position_embeddings\": 1024,", ""));
        assertThatThrownBy(() -> Checkpoint.open(dir)).isInstanceOf(CheckpointException.class)
                .hasMessageContaining("config.json lacks \"max_position_embeddings\"");
    }

    @Test
    void configNotJson_namesTheFile() throws IOException {
        Files.writeString(dir.resolve("config.json"), "{\"architectures\": [");
        assertThatThrownBy(() -> Checkpoint.open(dir)).isInstanceOf(CheckpointException.class)
                .hasMessageContaining("config.json is not valid JSON");
    }

    // --- helpers -------------------------------------------------------------------------------

    private void copyPrefix(long bytes) throws IOException {
        writeConfig(null);
        try (InputStream in = Files.newInputStream(TINY.resolve("model.safetensors"));
             OutputStream out = Files.newOutputStream(dir.resolve("model.safetensors"))) {
            out.write(in.readNBytes((int) bytes));
        }
    }

    private void writeConfig(java.util.function.UnaryOperator<String> edit) throws IOException {
        String cfg = Files.readString(TINY.resolve("config.json"));
        if (edit != null) {
            String edited = edit.apply(cfg);
            assertThat(edited).as("the edit applies to config.json").isNotEqualTo(cfg);
            cfg = edited;
        }
        Files.writeString(dir.resolve("config.json"), cfg);
    }

    static long headerLength(Path f) throws IOException {
        try (InputStream in = Files.newInputStream(f)) {
            return ByteBuffer.wrap(in.readNBytes(8)).order(ByteOrder.LITTLE_ENDIAN).getLong();
        }
    }

    static void link(Path target, Path link) throws IOException {
        Files.createSymbolicLink(link, target);
    }

    static void copyTensor(TensorRef t, SafetensorsWriter w) {
        w.raw(t.name(), t.dtype().name(), t.shape(), t.data().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
    }
}
