package io.moeserve.router.api;

import io.micrometer.core.instrument.MeterRegistry;
import io.moeserve.router.scheduler.Scheduler;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import tools.jackson.databind.JsonNode;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** stream: true over real HTTP: SSE framing, chunk order, usage, and a client that leaves mid-stream. */
class StreamingApiTest extends ApiTestSupport {
    static final String MESSAGES = "[{\"role\":\"user\",\"content\":\"Tell me about the king.\"}]";

    @Autowired
    Scheduler scheduler;

    @Autowired
    MeterRegistry meters;

    @Test
    void streamedChat_isRoleThenDeltasThenFinishThenUsage_andEqualsNonStreamedText() throws Exception {
        String body = """
                {"model":"tiny-moe","messages":%s,"max_tokens":24,"temperature":0%s}""";
        String expected = post("/v1/chat/completions", body.formatted(MESSAGES, "")).json().at("/choices/0/message/content").asString();
        List<Event> events = stream("/v1/chat/completions",
                body.formatted(MESSAGES, ",\"stream\":true,\"stream_options\":{\"include_usage\":true}"));

        JsonNode first = events.getFirst().json();
        assertThat(first.get("object").asString()).isEqualTo("chat.completion.chunk");
        assertThat(first.get("id").asString()).startsWith("chatcmpl-");
        assertThat(first.at("/choices/0/delta/role").asString()).isEqualTo("assistant");
        assertThat(first.at("/choices/0/delta/content").asString()).isEmpty();

        JsonNode usage = events.getLast().json();
        assertThat(usage.get("choices").isEmpty()).isTrue();
        assertThat(usage.at("/usage/total_tokens").asInt()).isEqualTo(
                usage.at("/usage/prompt_tokens").asInt() + usage.at("/usage/completion_tokens").asInt());

        JsonNode last = events.get(events.size() - 2).json();
        assertThat(last.at("/choices/0/finish_reason").asString()).isIn("stop", "length");
        assertThat(last.at("/choices/0/delta").isEmpty()).isTrue();

        StringBuilder text = new StringBuilder();
        for (Event e : events.subList(1, events.size() - 2)) {
            assertThat(e.json().get("id").asString()).isEqualTo(first.get("id").asString());
            assertThat(e.json().at("/choices/0/finish_reason").isNull()).isTrue();
            text.append(e.json().at("/choices/0/delta/content").asString());
        }
        assertThat(events.size() - 3).as("one chunk per token, not one blob").isGreaterThan(5);
        assertThat(text.toString()).isEqualTo(expected);
    }

    @Test
    void streamWithoutIncludeUsage_hasNoUsageChunk() throws Exception {
        List<Event> events = stream("/v1/chat/completions", """
                {"model":"tiny-moe","messages":%s,"max_tokens":4,"stream":true}""".formatted(MESSAGES));
        assertThat(events).allSatisfy(e -> assertThat(e.json().has("usage")).isFalse());
        assertThat(events.getLast().json().at("/choices/0/finish_reason").isString()).isTrue();
    }

    @Test
    void chunksAreSentWhileTheSequenceIsStillGenerating() throws Exception {
        HttpRequest req = HttpRequest.newBuilder(uri("/v1/completions")).timeout(Duration.ofSeconds(120))
                .POST(HttpRequest.BodyPublishers.ofString("""
                        {"model":"tiny-moe","prompt":"The king","max_tokens":300,"ignore_eos":true,"stream":true}""")).build();
        HttpResponse<Stream<String>> r = HTTP.send(req, HttpResponse.BodyHandlers.ofLines());
        Iterator<String> lines = r.body().iterator();
        String firstData = lines.next();
        assertThat(firstData).startsWith("data: {");
        int runningWhenFirstChunkArrived = scheduler.runningCount();
        String lastData = firstData;
        while (lines.hasNext()) {
            String line = lines.next();
            if (!line.isEmpty()) lastData = line;
        }
        assertThat(runningWhenFirstChunkArrived).as("the first chunk arrived before generation ended").isEqualTo(1);
        assertThat(lastData).isEqualTo("data: [DONE]");
    }

    @Test
    void streamedCompletion_equalsNonStreamed_withPerChunkLogprobs() throws Exception {
        String body = """
                {"model":"tiny-moe","prompt":"Once upon a time","max_tokens":12,"temperature":0,"logprobs":2%s}""";
        JsonNode whole = post("/v1/completions", body.formatted("")).json();
        List<Event> events = stream("/v1/completions", body.formatted(",\"stream\":true"));
        StringBuilder text = new StringBuilder();
        int tokens = 0;
        for (Event e : events) {
            JsonNode ch = e.json().at("/choices/0");
            assertThat(e.json().get("object").asString()).isEqualTo("text_completion");
            text.append(ch.get("text").asString());
            if (!ch.get("logprobs").isNull()) tokens += ch.at("/logprobs/tokens").size();
        }
        assertThat(text.toString()).isEqualTo(whole.at("/choices/0/text").asString());
        assertThat(tokens).isEqualTo(whole.at("/usage/completion_tokens").asInt());
        assertThat(events.getLast().json().at("/choices/0/finish_reason").asString())
                .isEqualTo(whole.at("/choices/0/finish_reason").asString());
    }

    @Test
    void clientDisconnectMidStream_freesTheBatchSlotAtOnce() throws Exception {
        double generatedBefore = generatedTokens();
        String body = """
                {"model":"tiny-moe","prompt":"The king","max_tokens":1000,"ignore_eos":true,"stream":true}""";
        try (Socket socket = new Socket("127.0.0.1", port)) {
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body)
                    .getBytes(StandardCharsets.UTF_8));
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            assertThat(in.readLine()).isEqualTo("HTTP/1.1 200 ");
            String line;
            while ((line = in.readLine()) != null && !line.contains("data: {")) {
                // headers and chunk sizes until the first event
            }
            assertThat(line).contains("data: {");
            assertThat(scheduler.runningCount()).isEqualTo(1);
        }  // the client goes away after one chunk
        long closed = System.nanoTime();
        while (scheduler.runningCount() > 0 && System.nanoTime() - closed < 1_000_000_000L) Thread.sleep(10);
        assertThat(scheduler.runningCount()).as("batch slot freed within 1 s").isZero();
        assertThat(generatedTokens() - generatedBefore).as("generation stopped early").isLessThan(900);
    }

    private double generatedTokens() {
        return meters.get("vllm:generation_tokens").counter().count();
    }
}
