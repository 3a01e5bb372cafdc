package io.moeserve.ops.bench;

import io.moeserve.core.engine.Engine;
import io.moeserve.core.engine.KvCache;
import io.moeserve.core.engine.SeqInput;
import io.moeserve.core.sampling.Sampler;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * {@code moe bench serve}: a closed-loop load generator against a running stack's OpenAI API
 * (streamed completions with fixed prompt/output lengths, greedy, EOS ignored), printing throughput,
 * TTFT and inter-token latency percentiles, and the router's per-layer dispatch round trip from its
 * Prometheus histogram. --monolithic runs the same load on the in-process engine for the ratio.
 * Both modes first run --warmup-requests unmeasured requests of the same shape: a fresh stack is
 * five JVMs whose per-token paths (SSE, Kafka, wire codec) reach the C2 compiler only after a few
 * thousand tokens, so without it the first run measures their JIT more than the design.
 */
@Command(name = "serve", description = "Load-test a running stack (or, with --monolithic, the in-process engine).")
public final class ServeBench implements Callable<Integer> {
    @Option(names = "--url", defaultValue = "http://127.0.0.1:8080/v1", description = "OpenAI base URL (default ${DEFAULT-VALUE})")
    String url;

    @Option(names = "--api-key", defaultValue = "${env:MOESERVE_API_KEY}")
    String apiKey;

    @Option(names = "--router-metrics", description = "router Prometheus URL for dispatch round trips (default: from run/stack.json)")
    String routerMetrics;

    @Option(names = "--model-id", defaultValue = "tiny-moe")
    String modelId;

    @Option(names = "--concurrency", defaultValue = "16")
    int concurrency;

    @Option(names = "--requests", defaultValue = "64")
    int requests;

    @Option(names = "--prompt-tokens", defaultValue = "128")
    int promptTokens;

    @Option(names = "--output-tokens", defaultValue = "64")
    int outputTokens;

    @Option(names = "--warmup-requests", defaultValue = "-1", description = "requests of the same shape run first and not "
            + "measured, in both modes, so both sides are measured after the JIT compiled their hot paths (default: --requests)")
    int warmupRequests;

    @Option(names = "--monolithic", description = "run the load on the single-process engine instead of over HTTP")
    boolean monolithic;

    @Option(names = "--model", defaultValue = "models/tiny-moe", description = "model directory for --monolithic")
    Path model;

    @Option(names = "--json")
    boolean json;

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Override
    public Integer call() throws Exception {
        Map<String, Object> out = monolithic ? runMonolithic() : runHttp();
        if (json) System.out.println(JSON.writeValueAsString(out));
        else out.forEach((k, v) -> System.out.printf("%-22s %s%n", k, v));
        return 0;
    }

    private int[] prompt(SplittableRandom r) {
        int[] ids = new int[promptTokens];
        for (int i = 0; i < ids.length; i++) ids[i] = 1 + r.nextInt(4000);
        return ids;
    }

    private Map<String, Object> runHttp() throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        String metricsUrl = routerMetrics != null ? routerMetrics : RouterMetrics.fromStack(Path.of("run"));
        closedLoop(http, warmup(), 500, new ArrayList<>(), new ArrayList<>(), new AtomicInteger());
        Map<Double, Double> rttBefore = RouterMetrics.dispatchBuckets(http, metricsUrl);
        List<Double> ttft = Collections.synchronizedList(new ArrayList<>());
        List<Double> itl = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger tokens = new AtomicInteger(), failed = new AtomicInteger();
        long t0 = System.nanoTime();
        closedLoop(http, requests, 1000, ttft, itl, failed).ifPresent(tokens::set);
        double seconds = (System.nanoTime() - t0) / 1e9;
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("tok_s", round(tokens.get() / seconds));
        out.put("requests", requests);
        out.put("failed", failed.get());
        out.put("ttft_p50_ms", round(pct(ttft, 50)));
        out.put("ttft_p99_ms", round(pct(ttft, 99)));
        out.put("itl_p50_ms", round(pct(itl, 50)));
        out.put("itl_p99_ms", round(pct(itl, 99)));
        Map<Double, Double> rttAfter = RouterMetrics.dispatchBuckets(http, metricsUrl);
        out.put("dispatch_rtt_p50_ms", round(RouterMetrics.percentile(rttBefore, rttAfter, 0.50) * 1000));
        out.put("dispatch_rtt_p99_ms", round(RouterMetrics.percentile(rttBefore, rttAfter, 0.99) * 1000));
        out.put("concurrency", concurrency);
        out.put("prompt_tokens", promptTokens);
        out.put("output_tokens", outputTokens);
        out.put("warmup_requests", warmup());
        return out;
    }

    private int warmup() {
        return warmupRequests < 0 ? requests : warmupRequests;
    }

    /** `count` requests from `concurrency` closed-loop clients; the completion tokens received, if any request was made. */
    private java.util.OptionalInt closedLoop(HttpClient http, int count, int seed, List<Double> ttft, List<Double> itl,
                                             AtomicInteger failed) throws Exception {
        if (count <= 0) return java.util.OptionalInt.empty();
        AtomicInteger tokens = new AtomicInteger(), next = new AtomicInteger();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> workers = new ArrayList<>();
            for (int w = 0; w < concurrency; w++) {
                SplittableRandom r = new SplittableRandom(seed + w);
                workers.add(pool.submit(() -> {
                    while (next.getAndIncrement() < count) {
                        try {
                            tokens.addAndGet(oneRequest(http, prompt(r), ttft, itl));
                        } catch (Exception e) {
                            failed.incrementAndGet();
                            System.err.println("request failed: " + e.getMessage());
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : workers) f.get();
        }
        return java.util.OptionalInt.of(tokens.get());
    }

    private int oneRequest(HttpClient http, int[] prompt, List<Double> ttft, List<Double> itl) throws Exception {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("model", modelId);
        body.put("prompt", prompt);
        body.put("max_tokens", outputTokens);
        body.put("temperature", 0);
        body.put("ignore_eos", true);
        body.put("stream", true);
        body.put("stream_options", Map.of("include_usage", true));
        HttpRequest.Builder rb = HttpRequest.newBuilder(URI.create(url + "/completions"))
                .timeout(Duration.ofMinutes(5)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
        if (apiKey != null && !apiKey.isBlank()) rb.header("Authorization", "Bearer " + apiKey);
        long start = System.nanoTime();
        HttpResponse<Stream<String>> resp = http.send(rb.build(), HttpResponse.BodyHandlers.ofLines());
        if (resp.statusCode() != 200) {
            throw new IllegalStateException("HTTP " + resp.statusCode() + ": " + String.join("\n", resp.body().toList()));
        }
        long[] last = {0};
        int[] completion = {0};
        resp.body().forEach(line -> {
            if (!line.startsWith("data: ") || line.equals("data: [DONE]")) return;
            JsonNode chunk = JSON.readTree(line.substring(6));
            if (chunk.path("usage").isObject()) completion[0] = chunk.get("usage").path("completion_tokens").asInt();
            if (!chunk.path("choices").isArray() || chunk.get("choices").isEmpty()) return;
            long now = System.nanoTime();
            if (last[0] == 0) ttft.add((now - start) / 1e6);
            else itl.add((now - last[0]) / 1e6);
            last[0] = now;
        });
        return completion[0];
    }

    /** The same load on the in-process engine: batches of `concurrency` sequences, prefill then decode. */
    private Map<String, Object> runMonolithic() {
        SplittableRandom r = new SplittableRandom(7);
        List<Double> ttft = new ArrayList<>(), itl = new ArrayList<>();
        long tokens = 0;
        try (Engine engine = Engine.load(model)) {
            for (int done = 0; done < warmup(); done += concurrency) {
                batch(engine, r, Math.min(concurrency, warmup() - done), outputTokens, new ArrayList<>(), new ArrayList<>());
            }
            long t0 = System.nanoTime();
            for (int done = 0; done < requests; done += concurrency) {
                tokens += batch(engine, r, Math.min(concurrency, requests - done), outputTokens, ttft, itl);
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("tok_s", round(tokens / seconds));
            out.put("requests", requests);
            out.put("failed", 0);
            out.put("ttft_p50_ms", round(pct(ttft, 50)));
            out.put("ttft_p99_ms", round(pct(ttft, 99)));
            out.put("itl_p50_ms", round(pct(itl, 50)));
            out.put("itl_p99_ms", round(pct(itl, 99)));
            out.put("concurrency", concurrency);
            out.put("prompt_tokens", promptTokens);
            out.put("output_tokens", outputTokens);
            out.put("warmup_requests", warmup());
            out.put("mode", "monolithic");
            return out;
        }
    }

    private long batch(Engine engine, SplittableRandom r, int b, int steps, List<Double> ttft, List<Double> itl) {
        List<KvCache> caches = new ArrayList<>();
        List<SeqInput> in = new ArrayList<>();
        for (int s = 0; s < b; s++) {
            KvCache c = engine.newCache();
            caches.add(c);
            in.add(new SeqInput(c, prompt(r)));
        }
        long start = System.nanoTime();
        float[][] logits = engine.forward(in);
        long last = System.nanoTime();
        for (int s = 0; s < b; s++) ttft.add((last - start) / 1e6);
        for (int n = 1; n < steps; n++) {
            List<SeqInput> step = new ArrayList<>();
            for (int s = 0; s < b; s++) step.add(new SeqInput(caches.get(s), new int[]{Sampler.argmax(logits[s])}));
            logits = engine.forward(step);
            long now = System.nanoTime();
            for (int s = 0; s < b; s++) itl.add((now - last) / 1e6);
            last = now;
        }
        return (long) b * steps;
    }

    static double pct(List<Double> v, double p) {
        if (v.isEmpty()) return Double.NaN;
        List<Double> s = new ArrayList<>(v);
        Collections.sort(s);
        int i = (int) Math.ceil(p / 100.0 * s.size()) - 1;
        return s.get(Math.max(0, Math.min(s.size() - 1, i)));
    }

    static double round(double v) {
        return Double.isNaN(v) ? v : Math.round(v * 100) / 100.0;
    }
}
