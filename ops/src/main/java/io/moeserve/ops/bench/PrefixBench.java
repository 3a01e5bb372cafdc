package io.moeserve.ops.bench;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tools.jackson.databind.JsonNode;
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
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/**
 * {@code moe bench prefix}: time to first token of a request whose long prefix is not cached (cold)
 * against the same prefix again with another suffix (hit), in the same run against a running stack.
 * Each round uses a fresh random prefix, so "cold" really is cold; medians over rounds are printed.
 */
@Command(name = "prefix", description = "TTFT with the shared prefix cache cold vs hit, against a running stack.")
public final class PrefixBench implements Callable<Integer> {
    @Option(names = "--url", defaultValue = "http://127.0.0.1:8080/v1")
    String url;

    @Option(names = "--api-key", defaultValue = "${env:MOESERVE_API_KEY}")
    String apiKey;

    @Option(names = "--model-id", defaultValue = "tiny-moe")
    String modelId;

    @Option(names = "--prefix-tokens", defaultValue = "768")
    int prefixTokens;

    @Option(names = "--suffix-tokens", defaultValue = "8")
    int suffixTokens;

    @Option(names = "--rounds", defaultValue = "5")
    int rounds;

    @Option(names = "--json")
    boolean json;

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private record Result(double ttftMs, int cachedTokens) {
    }

    @Override
    public Integer call() throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        SplittableRandom r = new SplittableRandom(System.nanoTime());
        List<Double> cold = new ArrayList<>(), hit = new ArrayList<>();
        int cached = 0;
        request(http, ids(r, prefixTokens + suffixTokens)); // warm-up of the whole path
        for (int i = 0; i < rounds; i++) {
            int[] prefix = ids(r, prefixTokens);
            Result c = request(http, concat(prefix, ids(r, suffixTokens)));
            Thread.sleep(300); // the write-back is asynchronous
            Result h = request(http, concat(prefix, ids(r, suffixTokens)));
            cold.add(c.ttftMs());
            hit.add(h.ttftMs());
            cached = h.cachedTokens();
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("ttft_cold_ms", ServeBench.round(ServeBench.pct(cold, 50)));
        out.put("ttft_hit_ms", ServeBench.round(ServeBench.pct(hit, 50)));
        out.put("cached_tokens", cached);
        out.put("speedup", ServeBench.round(ServeBench.pct(cold, 50) / ServeBench.pct(hit, 50)));
        out.put("prefix_tokens", prefixTokens);
        out.put("rounds", rounds);
        if (json) System.out.println(JSON.writeValueAsString(out));
        else out.forEach((k, v) -> System.out.printf("%-16s %s%n", k, v));
        return 0;
    }

    private static int[] ids(SplittableRandom r, int n) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) a[i] = 1 + r.nextInt(4000);
        return a;
    }

    private static int[] concat(int[] a, int[] b) {
        int[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    private Result request(HttpClient http, int[] prompt) throws Exception {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("model", modelId);
        body.put("prompt", prompt);
        body.put("max_tokens", 2);
        body.put("temperature", 0);
        body.put("stream", true);
        body.put("stream_options", Map.of("include_usage", true));
        HttpRequest.Builder rb = HttpRequest.newBuilder(URI.create(url + "/completions")).timeout(Duration.ofMinutes(2))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
        if (apiKey != null && !apiKey.isBlank()) rb.header("Authorization", "Bearer " + apiKey);
        long start = System.nanoTime();
        HttpResponse<Stream<String>> resp = http.send(rb.build(), HttpResponse.BodyHandlers.ofLines());
        if (resp.statusCode() != 200) throw new IllegalStateException("HTTP " + resp.statusCode());
        double[] ttft = {Double.NaN};
        int[] cached = {0};
        resp.body().forEach(line -> {
            if (!line.startsWith("data: ") || line.equals("data: [DONE]")) return;
            JsonNode chunk = JSON.readTree(line.substring(6));
            if (Double.isNaN(ttft[0]) && chunk.path("choices").size() > 0) ttft[0] = (System.nanoTime() - start) / 1e6;
            JsonNode u = chunk.path("usage");
            if (u.isObject()) cached[0] = u.path("prompt_tokens_details").path("cached_tokens").asInt();
        });
        return new Result(ttft[0], cached[0]);
    }
}
