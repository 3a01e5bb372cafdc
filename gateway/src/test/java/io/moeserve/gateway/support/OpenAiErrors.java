package io.moeserve.gateway.support;

import java.net.http.HttpResponse;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/** Asserts that a response is an OpenAI-shaped error with the given status and type. */
public final class OpenAiErrors {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private OpenAiErrors() {
    }

    /** Checks status, JSON content type and the four fields; returns the inner error object. */
    public static JsonNode assertError(HttpResponse<String> response, int status, String type) {
        assertThat(response.statusCode()).as("status of %s", response.body()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type").orElse("")).startsWith("application/json");
        JsonNode error = JSON.readTree(response.body()).path("error");
        assertThat(error.isObject()).as("error object in %s", response.body()).isTrue();
        assertThat(error.has("message") && error.has("type") && error.has("param") && error.has("code"))
                .as("all four fields in %s", response.body()).isTrue();
        assertThat(error.path("message").asString("")).isNotBlank();
        assertThat(error.path("type").asString("")).isEqualTo(type);
        return error;
    }

    public static JsonNode json(String body) {
        return JSON.readTree(body);
    }
}
