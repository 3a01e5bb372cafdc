package io.moeserve.core.tokenizer;

import io.moeserve.core.TestModels;
import io.moeserve.core.checkpoint.CheckpointException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The bundled model's tokenizer.json through DJL: exact round trips, the reference's ids, no truncation. */
class TokenizerTest {
    static Tokenizer tokenizer;

    @BeforeAll
    static void load() {
        tokenizer = Tokenizer.load(TestModels.tinyMoe());
    }

    @AfterAll
    static void close() {
        tokenizer.close();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"In the beginning God created the heaven and the earth.", "  leading and trailing spaces  ",
            "line one\nline two\n\n\ttabbed", "Grüße, café, naïve — “quotes”", "日本語のテキスト", "emoji 🙂🚀 and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
            "x", "1234567890 +-*/ <tags> {json: [1,2]}"})
    void encodeThenDecode_givesTheTextBack(String text) {
        int[] ids = tokenizer.encode(text);
        assertThat(ids).isNotEmpty();
        for (int id : ids) assertThat(id).isBetween(0, 4095);
        assertThat(tokenizer.decode(ids)).isEqualTo(text);
    }

    @Test
    void goldenInputIds_equalEncodeOfGoldenText() throws IOException {
        JsonNode cases = JsonMapper.builder().build().readTree(Files.readString(TestModels.tinyMoe().resolve("golden.json"))).get("cases");
        assertThat(cases.size()).isGreaterThan(0);
        for (JsonNode c : cases) {
            int[] want = new int[c.get("input_ids").size()];
            for (int i = 0; i < want.length; i++) want[i] = c.get("input_ids").get(i).asInt();
            assertThat(tokenizer.encode(c.get("text").asString())).as(c.get("text").asString()).containsExactly(want);
        }
    }

    @Test
    void longText_isNeverTruncated() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; sb.length() < 40_000; i++) sb.append("verse ").append(i).append(": and it came to pass, zqx").append(i % 97).append('\n');
        String text = sb.toString();
        int[] ids = tokenizer.encode(text);
        assertThat(ids.length).isGreaterThan(5000);
        assertThat(tokenizer.decode(ids)).isEqualTo(text);
    }

    @Test
    void specialTokenText_isTheEosId() {
        assertThat(tokenizer.encode("<|endoftext|>")).containsExactly(0);
        assertThat(tokenizer.tokenText(0)).isEqualTo("<|endoftext|>");
    }

    @Test
    void decodeOfARange_decodesOnlyThoseIds() {
        int[] ids = tokenizer.encode("the LORD is my shepherd");
        assertThat(tokenizer.decode(ids, 0, ids.length)).isEqualTo("the LORD is my shepherd");
        String head = tokenizer.decode(ids, 0, 2), tail = tokenizer.decode(ids, 2, ids.length);
        assertThat(head + tail).isEqualTo("the LORD is my shepherd");
    }

    @Test
    void missingTokenizerJson_namesTheDirectory(@TempDir Path dir) {
        assertThatThrownBy(() -> Tokenizer.load(dir)).isInstanceOf(CheckpointException.class)
                .hasMessageContaining("tokenizer.json").hasMessageContaining(dir.toString());
    }

    @Test
    void corruptTokenizerJson_namesTheFile(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("tokenizer.json"), "{\"model\": 42}");
        assertThatThrownBy(() -> Tokenizer.load(dir)).isInstanceOf(CheckpointException.class)
                .hasMessageContaining("cannot load").hasMessageContaining("tokenizer.json");
    }
}
