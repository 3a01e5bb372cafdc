package io.moeserve.router.api;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Strict request parsing, without a server. */
class JsonBodyTest {
    static ApiException rejected(byte[] body) {
        try {
            JsonBody.parse(body);
        } catch (ApiException e) {
            return e;
        }
        throw new AssertionError("accepted: " + new String(body, StandardCharsets.ISO_8859_1));
    }

    @Test
    void validUtf8_isDecodedExactly() {
        assertThat(JsonBody.parse("{\"prompt\":\"héllo ✓ 😀\"}".getBytes(StandardCharsets.UTF_8)).get("prompt").asString())
                .isEqualTo("héllo ✓ 😀");
    }

    @Test
    void malformedUtf8_isRejectedInsteadOfReplaced() {
        for (byte[] bad : new byte[][]{{'{', '"', 'a', '"', ':', '"', (byte) 0xFF, '"', '}'},
                {'{', '"', 'a', '"', ':', '"', (byte) 0xE2, (byte) 0x82, '"', '}'},        // truncated 3-byte sequence
                {'{', '"', 'a', '"', ':', '"', (byte) 0xC0, (byte) 0xAF, '"', '}'},        // overlong encoding of '/'
                {'{', '"', 'a', '"', ':', '"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"', '}'}}) { // UTF-16 surrogate
            ApiException e = rejected(bad);
            assertThat(e.status()).isEqualTo(400);
            assertThat(e.error().error().code()).isEqualTo("invalid_json");
        }
    }

    @Test
    void notAnObject_duplicateKeys_trailingContent_andEmpty_areInvalidJson() {
        for (String s : new String[]{"[]", "\"x\"", "{\"a\":1,\"a\":2}", "{\"a\":1} {}", "", "  ", "{\"a\":}", "{'a':1}"}) {
            assertThat(rejected(s.getBytes(StandardCharsets.UTF_8)).error().error().code()).as(s).isEqualTo("invalid_json");
        }
    }

    @Test
    void fields_checkTypesAndRanges() {
        Fields f = Fields.of(JsonBody.parse("{\"n\":16.0,\"x\":null,\"s\":\"a\",\"big\":1e30}".getBytes(StandardCharsets.UTF_8)));
        assertThat(f.integer("n", 1, 16)).isEqualTo(16L);
        assertThat(f.integer("x", 1, 2)).isNull();
        assertThatThrownBy(() -> f.integer("s", 1, 2)).isInstanceOf(ApiException.class).hasMessageContaining("'s'");
        assertThatThrownBy(() -> f.integer("big", 1, Long.MAX_VALUE)).isInstanceOf(ApiException.class);
        assertThatThrownBy(() -> f.bool("n")).isInstanceOf(ApiException.class).hasMessageContaining("expected a boolean");
    }
}
