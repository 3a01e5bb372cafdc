package io.moeserve.kvcache.client;

import io.moeserve.core.kvcache.BlockHasher;
import io.moeserve.core.kvcache.BlockKey;
import io.moeserve.core.kvcache.KvBlockCodec;
import io.moeserve.core.kvcache.KvBlockCodec.Encoding;
import java.net.URI;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;

/**
 * Side-by-side latency of fetching a cached prefix directly from Redis vs through kv-cache-service's
 * HTTP API, in one run, interleaved so both see the same machine noise. Default: 48 blocks (a
 * 768-token prefix of tiny-moe: 4 layers, 4 kv heads, head_dim 32), BF16 and INT8.
 * Needs Redis and a running kv-cache-service using the same namespace; see kv-cache-client/README.md.
 *
 * <pre>args: [--redis URI] [--service URL] [--namespace NS] [--blocks N] [--iterations N] [--warmup N]
 *       [--encodings BF16,INT8]</pre>
 */
public final class KvTransportBenchmark {

    public static void main(String[] args) {
        Map<String, String> a = new LinkedHashMap<>(Map.of("redis", "redis://127.0.0.1:6379",
                "service", "http://127.0.0.1:8083", "namespace", KvKeySchema.DEFAULT_NAMESPACE, "blocks", "48",
                "iterations", "300", "warmup", "100", "encodings", "BF16,INT8"));
        for (int i = 0; i + 1 < args.length; i += 2) {
            a.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        int blocks = Integer.parseInt(a.get("blocks"));
        int iterations = Integer.parseInt(a.get("iterations"));
        int warmup = Integer.parseInt(a.get("warmup"));
        KvKeySchema schema = new KvKeySchema(a.get("namespace"));
        String model = "bench-" + ProcessHandle.current().pid();
        StringBuilder json = new StringBuilder("{\"blocks\":" + blocks + ",\"iterations\":" + iterations + ",\"results\":[");
        try (RedisConnector redis = new RedisConnector(a.get("redis"), Duration.ofSeconds(5));
             HttpKvBlockStore http = new HttpKvBlockStore(URI.create(a.get("service")), Duration.ofSeconds(5))) {
            RedisKvBlockStore direct = new RedisKvBlockStore(redis, schema, KvPolicy.DEFAULT);
            RedisKvAdmin admin = new RedisKvAdmin(redis, schema, KvPolicy.DEFAULT);
            System.out.printf("%d blocks per fetch, %d iterations after %d warm-up, model %s%n", blocks, iterations, warmup, model);
            String sep = "";
            try {
                for (String encName : a.get("encodings").split(",")) {
                    Encoding enc = Encoding.valueOf(encName.trim());
                    List<BlockKey> keys = keys(model, blocks, enc);
                    Map<BlockKey, byte[]> data = blocks(keys, enc);
                    long bytes = data.values().stream().mapToLong(b -> b.length).sum();
                    direct.putBlocks(model, data);
                    check(direct.getPrefix(model, keys), data, keys, "direct");
                    check(http.getPrefix(model, keys), data, keys, "http");

                    long[] d = new long[iterations], h = new long[iterations], dl = new long[iterations],
                            hl = new long[iterations], dec = new long[iterations], mg = new long[iterations];
                    byte[][] rawKeys = keys.stream().map(key -> schema.blockKey(model, key)).toArray(byte[][]::new);
                    float[][] k = new float[TestBlocks.LAYERS][blocks * BlockHasher.BLOCK_TOKENS * TestBlocks.KV_HEADS * TestBlocks.HEAD_DIM];
                    float[][] v = new float[TestBlocks.LAYERS][k[0].length];
                    for (int i = -warmup; i < iterations; i++) {
                        long td = time(() -> direct.getPrefix(model, keys));
                        long th = time(() -> http.getPrefix(model, keys));
                        long tdl = time(() -> direct.longestPrefix(model, keys));
                        long thl = time(() -> http.longestPrefix(model, keys));
                        long tmg = time(() -> redis.sync().mget(rawKeys));
                        List<byte[]> got = direct.getPrefix(model, keys);
                        long t0 = System.nanoTime();
                        for (int b = 0; b < got.size(); b++) {
                            KvBlockCodec.decode(got.get(b), k, v, b * BlockHasher.BLOCK_TOKENS, TestBlocks.KV_HEADS, TestBlocks.HEAD_DIM);
                        }
                        long tdec = System.nanoTime() - t0;
                        if (i >= 0) {
                            d[i] = td; h[i] = th; dl[i] = tdl; hl[i] = thl; dec[i] = tdec; mg[i] = tmg;
                        }
                    }
                    System.out.printf("%n%s: %d bytes per fetch (%.1f KiB per block)%n", enc, bytes, bytes / 1024.0 / blocks);
                    System.out.printf("%-28s %8s %8s %8s %8s %10s%n", "operation", "p50 ms", "p90 ms", "p99 ms", "mean ms", "MB/s@p50");
                    row("get prefix, direct Redis", d, bytes);
                    row("get prefix, HTTP service", h, bytes);
                    row("plain MGET (floor, no LRU)", mg, bytes);
                    row("lookup, direct Redis", dl, 0);
                    row("lookup, HTTP service", hl, 0);
                    row("decode " + blocks + " blocks (engine)", dec, 0);
                    System.out.printf("HTTP / direct (p50 get): %.2fx; failed calls so far: %d%n", (double) pct(h, 50) / pct(d, 50), errors);
                    json.append(sep).append(String.format(Locale.ROOT,
                            "{\"encoding\":\"%s\",\"bytes\":%d,\"direct_get_p50_ms\":%.3f,\"http_get_p50_ms\":%.3f,"
                                    + "\"direct_get_p90_ms\":%.3f,\"http_get_p90_ms\":%.3f,\"direct_lookup_p50_ms\":%.3f,"
                                    + "\"http_lookup_p50_ms\":%.3f,\"decode_p50_ms\":%.3f}",
                            enc, bytes, ms(pct(d, 50)), ms(pct(h, 50)), ms(pct(d, 90)), ms(pct(h, 90)), ms(pct(dl, 50)),
                            ms(pct(hl, 50)), ms(pct(dec, 50))));
                    sep = ",";
                }
            } finally {
                admin.invalidate(model, 1000); // leave nothing behind in the shared Redis
                redis.sync().srem(schema.models(), model.getBytes(java.nio.charset.StandardCharsets.UTF_8));
                redis.sync().del(schema.stats(model), schema.policy(model));
            }
        }
        System.out.println();
        System.out.println(json.append("]}"));
    }

    private static List<BlockKey> keys(String model, int blocks, Encoding enc) {
        Random r = new Random(enc.ordinal());
        int[] tokens = new int[blocks * BlockHasher.BLOCK_TOKENS];
        Arrays.setAll(tokens, i -> r.nextInt(4096));
        return BlockHasher.chain(model, tokens);
    }

    private static Map<BlockKey, byte[]> blocks(List<BlockKey> keys, Encoding enc) {
        Random r = new Random(7);
        int n = BlockHasher.BLOCK_TOKENS * TestBlocks.KV_HEADS * TestBlocks.HEAD_DIM;
        Map<BlockKey, byte[]> out = new LinkedHashMap<>();
        for (BlockKey key : keys) {
            float[][] k = new float[TestBlocks.LAYERS][n], v = new float[TestBlocks.LAYERS][n];
            for (int l = 0; l < TestBlocks.LAYERS; l++) {
                for (int i = 0; i < n; i++) {
                    k[l][i] = (float) r.nextGaussian();
                    v[l][i] = (float) r.nextGaussian();
                }
            }
            out.put(key, KvBlockCodec.encode(k, v, TestBlocks.KV_HEADS, TestBlocks.HEAD_DIM, enc));
        }
        return out;
    }

    private static void check(List<byte[]> got, Map<BlockKey, byte[]> want, List<BlockKey> keys, String who) {
        if (got.size() != keys.size()) {
            throw new IllegalStateException(who + " returned " + got.size() + " of " + keys.size()
                    + " blocks: is the service using namespace and Redis of this benchmark?");
        }
        for (int i = 0; i < keys.size(); i++) {
            if (!Arrays.equals(got.get(i), want.get(keys.get(i)))) {
                throw new IllegalStateException(who + " returned different bytes for block " + i);
            }
        }
    }

    private static int errors;

    /** Time of one call; a failed call (e.g. a timeout on an overloaded machine) is counted and timed as it failed. */
    private static long time(Supplier<?> call) {
        long t0 = System.nanoTime();
        try {
            call.get();
        } catch (RuntimeException e) {
            errors++;
            System.err.println("call failed: " + e.getMessage());
        }
        return System.nanoTime() - t0;
    }

    private static void row(String name, long[] ns, long bytes) {
        System.out.printf(Locale.ROOT, "%-28s %8.3f %8.3f %8.3f %8.3f %10s%n", name, ms(pct(ns, 50)), ms(pct(ns, 90)),
                ms(pct(ns, 99)), ms((long) Arrays.stream(ns).average().orElse(0)),
                bytes == 0 ? "" : String.format(Locale.ROOT, "%.0f", bytes / 1e6 / (pct(ns, 50) / 1e9)));
    }

    private static long pct(long[] ns, int p) {
        long[] s = ns.clone();
        Arrays.sort(s);
        return s[Math.min(s.length - 1, (int) Math.ceil(p / 100.0 * s.length) - 1)];
    }

    private static double ms(long ns) {
        return ns / 1e6;
    }
}
