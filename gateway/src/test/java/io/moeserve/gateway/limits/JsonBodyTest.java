package io.moeserve.gateway.limits;

import java.nio.charset.StandardCharsets;

import io.moeserve.gateway.errors.GatewayException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JsonBodyTest {

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void oneUtf8Object_isAccepted() {
        assertThatCode(() -> JsonBody.validate(utf8("{\"prompt\":\"héllo 👋\",\"n\":[1,{\"a\":null}]}"))).doesNotThrowAnyException();
    }

    @Test
    void everythingElse_is400() {
        for (String bad : new String[] {"", " ", "[]", "\"x\"", "42", "{", "{\"a\":1}}", "{\"a\":1} {}", "{'a':1}",
                "{\"a\":NaN}", "{\"a\":1,}", "{\"a\" 1}"}) {
            assertThatThrownBy(() -> JsonBody.validate(utf8(bad))).as(bad)
                    .isInstanceOfSatisfying(GatewayException.class, e -> assertThat(e.status()).isEqualTo(400));
        }
        byte[] overlong = {'{', '"', 'a', '"', ':', '"', (byte) 0xC0, (byte) 0xAF, '"', '}'};
        assertThatThrownBy(() -> JsonBody.validate(overlong)).isInstanceOf(GatewayException.class);
        byte[] loneSurrogate = {'{', '"', 'a', '"', ':', '"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"', '}'};
        assertThatThrownBy(() -> JsonBody.validate(loneSurrogate)).isInstanceOf(GatewayException.class);
    }

    @Test
    void errorMessage_saysWhereWithoutDumpingTheBody() {
        assertThatThrownBy(() -> JsonBody.validate(utf8("{\"model\":\"m\",\n \"x\": }")))
                .isInstanceOfSatisfying(GatewayException.class, e -> assertThat(e.error().error().message())
                        .contains("line 2").doesNotContain("REDACTED").doesNotContain("Source"));
    }

    @Test
    void validation_saysWhetherTheBodyAsksForAStream() {
        assertThat(JsonBody.validate(utf8("{\"model\":\"m\",\"stream\":true}"))).isTrue();
        assertThat(JsonBody.validate(utf8("{\"stream\":false,\"x\":{\"stream\":true}}"))).isFalse();  // top level only
        assertThat(JsonBody.validate(utf8("{\"stream\":\"true\"}"))).isFalse();                    // the router rejects it
        assertThat(JsonBody.validate(utf8("{\"stream\":true,\"stream\":false}"))).isFalse();        // last one wins
        assertThat(JsonBody.validate(utf8("{\"prompt\":[1,2],\"stream\":true,\"n\":1}"))).isTrue();
    }

    @Test
    void streamWithoutUsage_getsIncludeUsageTurnedOn() {
        byte[] rewritten = JsonBody.withStreamUsage(utf8("{\"model\":\"m\",\"stream\":true,\"temperature\":0.7}"));
        assertThat(new String(rewritten, StandardCharsets.UTF_8))
                .contains("\"stream_options\":{\"include_usage\":true}").contains("\"temperature\":0.7");
        byte[] merged = JsonBody.withStreamUsage(utf8("{\"stream\":true,\"stream_options\":{\"include_usage\":false,\"x\":1}}"));
        assertThat(new String(merged, StandardCharsets.UTF_8)).contains("\"include_usage\":true").contains("\"x\":1");
    }

    @Test
    void requestsThatNeedNoRewrite_areLeftByteForByte() {
        assertThat(JsonBody.withStreamUsage(utf8("{\"stream\":false}"))).isNull();
        assertThat(JsonBody.withStreamUsage(utf8("{\"prompt\":\"x\"}"))).isNull();
        assertThat(JsonBody.withStreamUsage(utf8("{\"stream\":true,\"stream_options\":{\"include_usage\":true}}"))).isNull();
        assertThat(JsonBody.withStreamUsage(utf8("{\"stream\":\"yes\"}"))).isNull();              // router rejects it
        assertThat(JsonBody.withStreamUsage(utf8("{\"stream\":true,\"stream_options\":7}"))).isNull();
    }
}
