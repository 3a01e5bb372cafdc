package io.moeserve.ops.bench;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tools.jackson.databind.json.JsonMapper;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code moe bench gateway}: what the gateway adds to a non-streamed request. The same small
 * completion goes alternately to the gateway and straight to a router, one at a time, so both see
 * the same machine at the same moment; the p50 difference is the gateway's cost.
 */
@Command(name = "gateway", description = "p50 latency of non-streamed requests via the gateway vs the router directly.")
public final class GatewayBench implements Callable<Integer> {
    @Option(names = "--gateway", defaultValue = "http://127.0.0.1:8080/v1")
    String gateway;

    @Option(names = "--router", defaultValue = "http://127.0.0.1:8081/v1")
    String router;

    @Option(names = "--api-key", defaultValue = "${env:MOESERVE_API_KEY}")
    String apiKey;

    @Option(names = "--model-id", defaultValue = "tiny-moe")
    String modelId;

    @Option(names = "--requests", defaultValue = "200", description = "requests to each target")
    int requests;

    @Option(names = "--warmup", defaultValue = "5000",
            description = "cheap requests (GET /v1/models) to each target first, so both run JIT-compiled code (default ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--json")
    boolean json;

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Override
    public Integer call() throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        String body = JSON.writeValueAsString(Map.of("model", modelId, "prompt", new int[]{1143, 259, 2074, 387},
                "max_tokens", 1, "temperature", 0));
        List<Double> viaGateway = new ArrayList<>(), direct = new ArrayList<>();
        // A reactive proxy runs interpreted for its first few thousand requests (11 ms p50 added
        // after 2,000 requests, 1.1 ms after 6,000 here): measure the steady state, not the JIT.
        for (int i = 0; i < warmup; i++) {
            get(http, gateway + "/models", true);
            get(http, router + "/models", false);
        }
        for (int i = 0; i < warmup / 3; i++) { // the completion path too: body checks, usage capture
            time(http, gateway, body, true);
            time(http, router, body, false);
        }
        for (int i = 0; i < requests; i++) {
            viaGateway.add(time(http, gateway, body, true));
            direct.add(time(http, router, body, false));
        }
        Map<String, Object> out = new LinkedHashMap<>();
        double g = ServeBench.pct(viaGateway, 50), d = ServeBench.pct(direct, 50);
        out.put("gateway_p50_ms", ServeBench.round(g));
        out.put("router_p50_ms", ServeBench.round(d));
        out.put("gateway_added_p50_ms", ServeBench.round(g - d));
        out.put("gateway_p99_ms", ServeBench.round(ServeBench.pct(viaGateway, 99)));
        out.put("router_p99_ms", ServeBench.round(ServeBench.pct(direct, 99)));
        out.put("requests", requests);
        if (json) System.out.println(JSON.writeValueAsString(out));
        else out.forEach((k, v) -> System.out.printf("%-22s %s%n", k, v));
        return 0;
    }

    private void get(HttpClient http, String url, boolean auth) throws Exception {
        HttpRequest.Builder rb = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).GET();
        if (auth && apiKey != null && !apiKey.isBlank()) rb.header("Authorization", "Bearer " + apiKey);
        http.send(rb.build(), HttpResponse.BodyHandlers.discarding());
    }

    private double time(HttpClient http, String base, String body, boolean auth) throws Exception {
        HttpRequest.Builder rb = HttpRequest.newBuilder(URI.create(base + "/completions")).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        if (auth && apiKey != null && !apiKey.isBlank()) rb.header("Authorization", "Bearer " + apiKey);
        long t0 = System.nanoTime();
        HttpResponse<String> r = http.send(rb.build(), HttpResponse.BodyHandlers.ofString());
        double ms = (System.nanoTime() - t0) / 1e6;
        if (r.statusCode() != 200) throw new IllegalStateException(base + ": HTTP " + r.statusCode() + " " + r.body());
        return ms;
    }
}
