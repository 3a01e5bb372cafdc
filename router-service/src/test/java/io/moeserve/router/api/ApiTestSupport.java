package io.moeserve.router.api;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The router with the real tiny model on a random port, called over real HTTP. Every subclass has
 * the same configuration, so Spring's test context cache loads the model once for all of them.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
abstract class ApiTestSupport {
    static final JsonMapper JSON = JsonMapper.builder().build();
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @LocalServerPort
    int port;

    @DynamicPropertySource
    static void model(DynamicPropertyRegistry registry) {
        registry.add("moeserve.router.model-dir", () -> modelDir().toString());
    }

    /** models/tiny-moe of the repository, found by walking up from the working directory. */
    static Path modelDir() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.exists(p.resolve("models/tiny-moe/config.json"))) return p.resolve("models/tiny-moe");
        }
        throw new IllegalStateException("models/tiny-moe not found above " + Path.of("").toAbsolutePath());
    }

    record Reply(int status, HttpHeaders headers, String body) {
        JsonNode json() {
            return JSON.readTree(body);
        }
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    Reply get(String path) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(uri(path)).GET());
    }

    Reply post(String path, String json) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)));
    }

    Reply post(String path, byte[] body) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)));
    }

    private Reply send(HttpRequest.Builder b) throws IOException, InterruptedException {
        HttpResponse<String> r = HTTP.send(b.timeout(Duration.ofSeconds(120)).build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), r.headers(), r.body());
    }

    /** One SSE event as it arrived: its JSON (null for [DONE]) and when it was read. */
    record Event(JsonNode json, long nanos) {
    }

    /** A streamed request read event by event; asserts SSE framing, 200 and the closing [DONE]. */
    List<Event> stream(String path, String json) throws IOException, InterruptedException {
        HttpRequest req = HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(120)).POST(HttpRequest.BodyPublishers.ofString(json)).build();
        HttpResponse<java.util.stream.Stream<String>> r = HTTP.send(req, HttpResponse.BodyHandlers.ofLines());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type").orElse("")).startsWith("text/event-stream");
        List<Event> events = new ArrayList<>();
        r.body().forEach(line -> {
            if (line.isEmpty()) return;
            assertThat(line).startsWith("data: ");
            String data = line.substring(6);
            events.add(new Event(data.equals("[DONE]") ? null : JSON.readTree(data), System.nanoTime()));
        });
        assertThat(events).isNotEmpty();
        assertThat(events.getLast().json()).as("stream ends with [DONE]").isNull();
        return events.subList(0, events.size() - 1);
    }

    /** status and OpenAI's error shape: error.{message,type,param,code}, type matching the status. */
    static JsonNode assertError(Reply r, int status, String param) {
        assertThat(r.status()).as(r.body()).isEqualTo(status);
        assertThat(r.headers().firstValue("content-type").orElse("")).startsWith("application/json");
        JsonNode e = r.json().get("error");
        assertThat(e).as(r.body()).isNotNull();
        assertThat(e.get("message").isString()).isTrue();
        assertThat(e.get("message").asString()).isNotBlank().doesNotContain("Exception").doesNotContain("\tat ");
        assertThat(e.get("type").asString()).isEqualTo(io.moeserve.core.api.OpenAiError.typeFor(status));
        assertThat(e.has("param")).isTrue();
        assertThat(e.has("code")).isTrue();
        if (param != null) assertThat(e.get("param").asString()).isEqualTo(param);
        return e;
    }
}
