package io.moeserve.contract.support;

import io.moeserve.core.api.OpenAiError;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** Raw HTTP for requests no SDK would send, and the assertion of OpenAI's error shape. */
public final class Http {
    public static final JsonMapper JSON = JsonMapper.builder().build();
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private Http() {
    }

    public record Reply(int status, HttpHeaders headers, String body) {
        public JsonNode json() {
            return JSON.readTree(body);
        }
    }

    /** POST with an optional bearer key (null: no Authorization header). */
    public static Reply post(String url, String key, HttpRequest.BodyPublisher body) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(120))
                .header("Content-Type", "application/json").POST(body);
        if (key != null) b.header("Authorization", "Bearer " + key);
        return send(b);
    }

    public static Reply post(String url, String key, String json) throws IOException, InterruptedException {
        return post(url, key, HttpRequest.BodyPublishers.ofString(json));
    }

    public static Reply get(String url, String key) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).GET();
        if (key != null) b.header("Authorization", "Bearer " + key);
        return send(b);
    }

    public static Reply send(HttpRequest.Builder b) throws IOException, InterruptedException {
        HttpResponse<String> r = CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), r.headers(), r.body());
    }

    /** The status, and {"error":{"message","type","param","code"}} with the type that status implies. */
    public static JsonNode assertOpenAiError(Reply r, int status, String param) {
        assertThat(r.status()).as(r.body()).isEqualTo(status);
        assertThat(r.headers().firstValue("content-type").orElse("")).as("content-type").startsWith("application/json");
        JsonNode root = r.json();
        assertThat(root.properties()).as("only an error object: " + r.body()).hasSize(1);
        JsonNode e = root.get("error");
        assertThat(e).as(r.body()).isNotNull();
        assertThat(e.get("message").isString()).as(r.body()).isTrue();
        assertThat(e.get("message").asString()).isNotBlank().doesNotContain("\tat ").doesNotContain("Exception:");
        assertThat(e.get("type").asString()).isEqualTo(OpenAiError.typeFor(status));
        assertThat(e.has("param")).as("param present (may be null)").isTrue();
        assertThat(e.has("code")).as("code present (may be null)").isTrue();
        if (param != null) assertThat(e.get("param").asString()).isEqualTo(param);
        return e;
    }
}
