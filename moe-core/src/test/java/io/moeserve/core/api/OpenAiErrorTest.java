package io.moeserve.core.api;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

class OpenAiErrorTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Test
    void serializesToOpenAisShapeWithNullsKept() {
        String json = JSON.writeValueAsString(OpenAiError.invalidRequest("bad temperature", "temperature", null));
        assertThat(json).isEqualTo(
                "{\"error\":{\"message\":\"bad temperature\",\"type\":\"invalid_request_error\",\"param\":\"temperature\",\"code\":null}}");
    }

    @Test
    void readsBackWhatItWrites() {
        OpenAiError error = OpenAiError.modelNotFound("gpt-9");
        assertThat(JSON.readValue(JSON.writeValueAsString(error), OpenAiError.class)).isEqualTo(error);
        assertThat(error.error().code()).isEqualTo(OpenAiError.CODE_MODEL_NOT_FOUND);
        assertThat(error.error().param()).isEqualTo("model");
    }

    @Test
    void statusAndTypeMapBothWays() {
        int[] statuses = {400, 401, 403, 404, 413, 429, 503, 500};
        for (int status : statuses) {
            assertThat(OpenAiError.statusFor(OpenAiError.typeFor(status))).as("status %d", status).isEqualTo(status);
        }
        assertThat(OpenAiError.typeFor(401)).isEqualTo("authentication_error");
        assertThat(OpenAiError.typeFor(422)).isEqualTo("invalid_request_error");
        assertThat(OpenAiError.typeFor(502)).isEqualTo("server_error");
        assertThat(OpenAiError.statusFor("something_else")).isEqualTo(500);
    }

    @Test
    void factoriesCarryTheirStatus() {
        assertThat(OpenAiError.invalidJson("x").status()).isEqualTo(400);
        assertThat(OpenAiError.authentication("no key").status()).isEqualTo(401);
        assertThat(OpenAiError.notFound("nope").status()).isEqualTo(404);
        assertThat(OpenAiError.requestTooLarge(1024).status()).isEqualTo(413);
        assertThat(OpenAiError.rateLimited("slow down").status()).isEqualTo(429);
        assertThat(OpenAiError.overloaded("busy").status()).isEqualTo(503);
        assertThat(OpenAiError.serviceUnavailable("down").status()).isEqualTo(503);
        assertThat(OpenAiError.serverError("boom", null).status()).isEqualTo(500);
        assertThat(JSON.writeValueAsString(OpenAiError.overloaded("busy"))).doesNotContain("status");
    }
}
