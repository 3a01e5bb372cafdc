package io.moeserve.ops.bench;

import io.moeserve.core.engine.Engine;
import io.moeserve.core.engine.KvCache;
import io.moeserve.core.engine.SeqInput;
import io.moeserve.core.kernel.Gemm;
import io.moeserve.core.sampling.Sampler;
import io.moeserve.core.tensor.Matrix;
import io.moeserve.ops.engine.ModelOption;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * {@code moe bench engine}: the workload of {@code torch_bench.py} on the Java engine: prefill of a
 * 128-token prompt at batch 1, then 64 KV-cached decode steps, at batch 1 and 16; plus GEMM GFLOP/s
 * on the model's own matrix shapes. With --torch it runs the PyTorch reference in the same run,
 * alternating with the Java measurement, and prints the ratios.
 */
@Command(name = "engine", description = "Prefill/decode tokens/s and GEMM GFLOP/s of the single-process engine.")
public final class EngineBench implements Callable<Integer> {
    @Mixin
    ModelOption model;

    @Option(names = "--json", description = "print one JSON object")
    boolean json;

    @Option(names = "--prompt-tokens", defaultValue = "128")
    int promptTokens;

    @Option(names = "--decode-steps", defaultValue = "64")
    int decodeSteps;

    @Option(names = "--batch", defaultValue = "16", description = "the larger decode batch (default ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--repeat", defaultValue = "3", description = "measurements per figure; the median is reported")
    int repeat;

    @Option(names = "--torch", paramLabel = "torch_bench.py",
            description = "also run this PyTorch reference (with /usr/bin/python3) side by side and print ratios")
    Path torch;

    private final SplittableRandom random = new SplittableRandom(42);

    @Override
    public Integer call() throws Exception {
        Map<String, Object> out = new LinkedHashMap<>();
        try (Engine engine = Engine.load(model.model, model.int8Experts)) {
            // Warm-up: let the JIT compile every kernel before anything is timed.
            for (int i = 0; i < 3; i++) {
                decode(engine, 1, Math.min(16, decodeSteps));
                decode(engine, batch, 4);
            }
            List<double[]> java = new ArrayList<>(), py = new ArrayList<>();
            for (int r = 0; r < repeat; r++) {
                double[] b1 = decode(engine, 1, decodeSteps);
                double[] bN = decode(engine, batch, decodeSteps);
                java.add(new double[]{b1[0], b1[1], bN[1]});
                if (torch != null) {
                    JsonNode t1 = runTorch(1), tN = runTorch(batch);
                    py.add(new double[]{t1.get("prefill_tok_s").asDouble(), t1.get("decode_tok_s").asDouble(),
                            tN.get("decode_tok_s").asDouble()});
                }
            }
            double[] j = medians(java);
            out.put("prefill_tok_s", round(j[0]));
            out.put("decode_tok_s_b1", round(j[1]));
            out.put("decode_tok_s_b" + batch, round(j[2]));
            out.put("gemm_gflops", round(gemm(engine)));
            if (torch != null) {
                double[] t = medians(py);
                out.put("torch_prefill_tok_s", round(t[0]));
                out.put("torch_decode_tok_s_b1", round(t[1]));
                out.put("torch_decode_tok_s_b" + batch, round(t[2]));
                out.put("ratio_prefill", round(j[0] / t[0]));
                out.put("ratio_decode_b1", round(j[1] / t[1]));
                out.put("ratio_decode_b" + batch, round(j[2] / t[2]));
            }
            out.put("threads", io.moeserve.core.kernel.Parallel.threads());
            out.put("repeat", repeat);
        }
        if (json) {
            System.out.println(JsonMapper.builder().build().writeValueAsString(out));
        } else {
            out.forEach((k, v) -> System.out.printf("%-24s %s%n", k, v));
        }
        return 0;
    }

    /** Prefill b prompts of promptTokens (one batch), then steps greedy decode steps; returns {prefill tok/s, decode tok/s}. */
    private double[] decode(Engine engine, int b, int steps) {
        List<KvCache> caches = new ArrayList<>();
        List<SeqInput> prompts = new ArrayList<>();
        for (int s = 0; s < b; s++) {
            KvCache c = engine.newCache();
            caches.add(c);
            prompts.add(new SeqInput(c, randomIds(engine.config().vocabSize())));
        }
        long t0 = System.nanoTime();
        float[][] logits = engine.forward(prompts);
        long t1 = System.nanoTime();
        for (int n = 0; n < steps; n++) {
            List<SeqInput> step = new ArrayList<>(b);
            for (int s = 0; s < b; s++) step.add(new SeqInput(caches.get(s), new int[]{Sampler.argmax(logits[s])}));
            logits = engine.forward(step);
        }
        long t2 = System.nanoTime();
        return new double[]{(double) b * promptTokens / ((t1 - t0) / 1e9), (double) b * steps / ((t2 - t1) / 1e9)};
    }

    private int[] randomIds(int vocab) {
        int[] ids = new int[promptTokens];
        for (int i = 0; i < ids.length; i++) ids[i] = 1 + random.nextInt(vocab - 1);
        return ids;
    }

    /** GFLOP/s of x W^T over the distinct matrix shapes of the model at promptTokens rows. */
    private double gemm(Engine engine) {
        var layer = engine.dense().layers().getFirst();
        var expert = io.moeserve.core.engine.ExpertWeights.load(engine.checkpoint(), 0, 0);
        List<Matrix> shapes = List.of(layer.wq(), layer.wk(), layer.wo(), expert.w1(), expert.w2(), engine.dense().lmHead());
        double flops = 0, seconds = 0;
        for (Matrix w : shapes) {
            float[] x = new float[promptTokens * w.cols()];
            for (int i = 0; i < x.length; i++) x[i] = (float) random.nextDouble(-1, 1);
            float[] y = new float[promptTokens * w.rows()];
            for (int i = 0; i < 20; i++) Gemm.matmul(w, x, promptTokens, y);
            int iters = Math.max(20, (int) (2e9 / (2.0 * w.rows() * w.cols() * promptTokens)));
            long t0 = System.nanoTime();
            for (int i = 0; i < iters; i++) Gemm.matmul(w, x, promptTokens, y);
            seconds += (System.nanoTime() - t0) / 1e9;
            flops += 2.0 * w.rows() * w.cols() * promptTokens * iters;
        }
        return flops / seconds / 1e9;
    }

    private JsonNode runTorch(int b) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("/usr/bin/python3", torch.toString(), model.model.toString(),
                String.valueOf(b), String.valueOf(promptTokens), String.valueOf(decodeSteps), "2")
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String outText = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IllegalStateException("torch_bench.py failed (exit " + p.exitValue() + "); is python3-torch installed?");
        }
        String[] lines = outText.split("\n");
        return JsonMapper.builder().build().readTree(lines[lines.length - 1]);
    }

    private static double[] medians(List<double[]> rows) {
        double[] m = new double[rows.getFirst().length];
        for (int i = 0; i < m.length; i++) {
            final int c = i;
            double[] col = rows.stream().mapToDouble(r -> r[c]).sorted().toArray();
            m[i] = col[col.length / 2];
        }
        return m;
    }

    private static double round(double v) {
        return Math.round(v * 10) / 10.0;
    }

    static boolean exists(Path p) {
        return Files.exists(p);
    }
}
