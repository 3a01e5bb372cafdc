package io.moeserve.gateway.support;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A real HTTP server imitating a router replica's OpenAI endpoints (models, completions, chat
 * completions with SSE streaming, tokenize, detokenize, health) plus an /internal route that must
 * never be reachable through the gateway. It records what it received and can be told to answer
 * 503 (overloaded) to exercise retries and breakers.
 */
public final class FakeRouter implements AutoCloseable {

    /** What the router received. */
    public record Received(String method, String path, Map<String, List<String>> headers, String body) {
        public String header(String name) {
            return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name))
                    .findFirst().map(e -> e.getValue().getFirst()).orElse(null);
        }
    }

    public static final String MODEL_NOT_FOUND_BODY =
            "{\"error\":{\"message\":\"The model `nope` does not exist.\",\"type\":\"not_found_error\",\"param\":\"model\",\"code\":\"model_not_found\"}}";
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final String name;
    private final HttpServer server;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final ConcurrentLinkedQueue<Received> received = new ConcurrentLinkedQueue<>();
    private final AtomicInteger generationHits = new AtomicInteger();
    private volatile int forcedStatus;
    private volatile long usageTokens = 12;
    private volatile Duration streamGap = Duration.ofMillis(300);
    private volatile int streamChunks = 3;
    private final AtomicInteger streamAborts = new AtomicInteger();

    public FakeRouter(String name) throws IOException {
        this.name = name;
        this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", this::handle);
        server.setExecutor(executor);
        server.start();
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    public String name() {
        return name;
    }

    /** 0 = behave normally; e.g. 503 = answer every non-health request with an overloaded error. */
    public void forceStatus(int status) {
        this.forcedStatus = status;
    }

    public void usageTokens(long tokens) {
        this.usageTokens = tokens;
    }

    public void streamGap(Duration gap) {
        this.streamGap = gap;
    }

    public void streamChunks(int chunks) {
        this.streamChunks = chunks;
    }

    /** Streams that ended because the peer (the gateway) closed the connection before the last chunk. */
    public int streamAborts() {
        return streamAborts.get();
    }

    public List<Received> received() {
        return List.copyOf(received);
    }

    public long hits(String path) {
        return received.stream().filter(r -> r.path().startsWith(path)).count();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getPath();
            String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            if (!path.equals("/health")) {
                received.add(new Received(ex.getRequestMethod(), path, Map.copyOf(ex.getRequestHeaders()), body));
            }
            if (forcedStatus != 0 && !path.equals("/health")) {
                json(ex, forcedStatus, "{\"error\":{\"message\":\"overloaded\",\"type\":\"service_unavailable_error\","
                        + "\"param\":null,\"code\":\"overloaded\"}}");
                return;
            }
            switch (path) {
                case "/health" -> json(ex, 200, "{\"status\":\"ok\"}");
                case "/v1/models" -> json(ex, 200, "{\"object\":\"list\",\"data\":[" + model() + "]}");
                case "/v1/models/tiny-moe" -> json(ex, 200, model());
                case "/v1/completions", "/v1/chat/completions" -> generate(ex, path, body);
                case "/tokenize" -> json(ex, 200, "{\"tokens\":[1,2,3],\"count\":3}");
                case "/detokenize" -> json(ex, 200, "{\"prompt\":\"abc\"}");
                case "/internal/secret" -> json(ex, 200, "{\"secret\":true}");
                default -> json(ex, 404, path.startsWith("/v1/models/") ? MODEL_NOT_FOUND_BODY
                        : "{\"error\":{\"message\":\"no such path\",\"type\":\"not_found_error\",\"param\":null,\"code\":null}}");
            }
        }
    }

    private String model() {
        return "{\"id\":\"tiny-moe\",\"object\":\"model\",\"created\":0,\"owned_by\":\"moeserve\"}";
    }

    private void generate(HttpExchange ex, String path, String body) throws IOException {
        generationHits.incrementAndGet();
        JsonNode request = JSON.readTree(body);
        if (!"tiny-moe".equals(request.path("model").asString(""))) {
            json(ex, 404, MODEL_NOT_FOUND_BODY);
            return;
        }
        String object = path.contains("chat") ? "chat.completion" : "text_completion";
        String usage = "{\"prompt_tokens\":" + (usageTokens / 2) + ",\"completion_tokens\":" + (usageTokens - usageTokens / 2)
                + ",\"total_tokens\":" + usageTokens + "}";
        if (!request.path("stream").asBoolean(false)) {
            json(ex, 200, "{\"id\":\"cmpl-1\",\"object\":\"" + object + "\",\"model\":\"tiny-moe\",\"served_by\":\"" + name
                    + "\",\"choices\":[{\"index\":0,\"text\":\"hello\",\"finish_reason\":\"stop\"}],\"usage\":" + usage + "}");
            return;
        }
        boolean includeUsage = request.path("stream_options").path("include_usage").asBoolean(false);
        ex.getResponseHeaders().set("Content-Type", "text/event-stream");
        ex.sendResponseHeaders(200, 0);
        OutputStream out = ex.getResponseBody();
        try {
            for (int i = 0; i < streamChunks; i++) {
                String usageField = includeUsage ? ",\"usage\":null" : "";
                write(out, "data: {\"id\":\"c\",\"object\":\"" + object + ".chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"t"
                        + i + "\"}}]" + usageField + "}\n\n");
                sleep(streamGap);
            }
        } catch (IOException e) {
            streamAborts.incrementAndGet();  // what a router sees when its client went away: free the slot now
            throw e;
        }
        if (includeUsage) {
            write(out, "data: {\"id\":\"c\",\"object\":\"" + object + ".chunk\",\"choices\":[],\"usage\":" + usage + "}\n\n");
        }
        write(out, "data: [DONE]\n\n");
    }

    private static void write(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();  // one HTTP chunk per event
    }

    private static void json(HttpExchange ex, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, bytes.length);
        ex.getResponseBody().write(bytes);
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
