package io.moeserve.core.engine;

import io.moeserve.core.TestModels;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Loading adds at most 1.5x the checkpoint's file size to resident memory (issue 2): weights stay
 * mapped, never copied to F32. Measured in a fresh JVM whose heap is pre-touched (-Xms = -Xmx,
 * AlwaysPreTouch), so garbage from the forward pass does not count as growth, and which has loaded,
 * run and closed the model once already (classes loaded, kernels compiled). Then: resident memory
 * and retained heap before Engine.load, and after a forward pass plus one call of every expert, so
 * every weight page has been touched. Added = growth of RssFile (the mapped weights) + RssAnon
 * (native copies) + live heap after GC (heap copies, which a pre-touched heap hides from RSS).
 */
class MemoryFootprintTest {

    /** Runs in the forked JVM: prints "mode.key value" lines for BF16 weights, then int8 experts. */
    public static void main(String[] args) {
        Path model = Path.of(args[0]);
        for (boolean int8 : new boolean[]{false, true}) {
            warmUp(model, int8);
            System.gc();
            Map<String, Long> before = status();
            try (Engine e = loadAndTouchEveryWeight(model, int8)) {
                System.gc();
                Map<String, Long> after = status();
                String mode = int8 ? "int8." : "bf16.";
                System.out.println(mode + "fileBytes " + e.checkpoint().fileBytes());
                for (String k : List.of("RssFile", "RssAnon", "heapUsed")) System.out.println(mode + k + " " + (after.get(k) - before.get(k)));
            }
        }
    }

    /** A whole round in its own frame, so that nothing of it stays reachable (interpreted frames keep dead locals). */
    static void warmUp(Path model, boolean int8) {
        loadAndTouchEveryWeight(model, int8).close();
    }

    /** Loads, runs a 64-token prompt, then every expert once, so that every weight page is touched. */
    static Engine loadAndTouchEveryWeight(Path model, boolean int8) {
        Engine e = Engine.load(model, int8);
        int[] prompt = new int[64];
        for (int i = 0; i < prompt.length; i++) prompt[i] = (i * 131 + 7) % e.config().vocabSize();
        e.forward(List.of(new SeqInput(e.newCache(), prompt)));
        float[] x = new float[e.config().hiddenSize()];
        java.util.Arrays.fill(x, 0.01f);
        for (ExpertWeights w : ((LocalExperts) e.experts()).held()) LocalExperts.ffn(w, x, 1);
        return e;
    }

    /** kB values of /proc/self/status, in bytes. */
    static Map<String, Long> status() {
        Map<String, Long> m = new HashMap<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                String[] p = line.split("\\s+");
                if (p.length == 3 && p[2].equals("kB")) m.put(p[0].replace(":", ""), Long.parseLong(p[1]) * 1024);
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        m.put("heapUsed", Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory());
        return m;
    }

    static Map<String, Long> measured;

    @BeforeAll
    static void measureInAFreshJvm() throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xms128m", "-Xmx128m", "-XX:+AlwaysPreTouch", "-XX:+UseSerialGC", "--add-modules", "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                MemoryFootprintTest.class.getName(), TestModels.tinyMoe().toString()));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
        measured = new HashMap<>();
        out.lines().map(l -> l.split(" ")).filter(a -> a.length == 2 && a[1].matches("-?\\d+"))
                .forEach(a -> measured.put(a[0], Long.parseLong(a[1])));
    }

    static Map<String, Long> measure(String mode) {
        Map<String, Long> m = new HashMap<>();
        measured.forEach((k, v) -> {
            if (k.startsWith(mode + ".")) m.put(k.substring(mode.length() + 1), v);
        });
        assertThat(m).containsKeys("fileBytes", "RssFile", "RssAnon", "heapUsed");
        return m;
    }

    /** A shrinking part (memory the JVM returned meanwhile) counts as zero, not as a credit. */
    static long added(Map<String, Long> m) {
        return Math.max(0, m.get("RssFile")) + Math.max(0, m.get("RssAnon")) + Math.max(0, m.get("heapUsed"));
    }

    static String report(String what, Map<String, Long> m) {
        double file = m.get("fileBytes");
        long added = added(m);
        return String.format("memory added by loading, %s: %.1f MB = %.2fx the %.1f MB checkpoint (mapped RssFile +%.1f MB, RssAnon +%.1f MB, live heap +%.1f MB)",
                what, added / 1e6, added / file, file / 1e6, m.get("RssFile") / 1e6, m.get("RssAnon") / 1e6, m.get("heapUsed") / 1e6);
    }

    @Test
    void loadingAndTouchingEveryWeight_addsAtMostOneAndAHalfTimesTheFile() {
        Map<String, Long> m = measure("bf16");
        System.out.println(report("BF16 weights", m));
        double file = m.get("fileBytes");
        assertThat(added(m) / file).isLessThanOrEqualTo(1.5);
        // the weights are the file's own pages, mapped, not copies
        assertThat((double) m.get("RssFile")).isGreaterThan(0.9 * file);
        assertThat((double) m.get("heapUsed")).isLessThan(0.1 * file);
    }

    @Test
    void int8Experts_costLessThanTheMappedBf16Model() {
        Map<String, Long> m = measure("int8");
        System.out.println(report("int8 experts", m));
        double file = m.get("fileBytes");
        // the quantized experts live on the heap (about half the BF16 expert bytes) and the mapped BF16
        // expert pages they replace are released, so int8 costs less than the mapped BF16 model
        assertThat((double) m.get("heapUsed")).isGreaterThan(0.3 * file);
        assertThat((double) m.get("RssFile")).isLessThan(0.6 * file);
        assertThat(added(m) / file).isLessThanOrEqualTo(1.5);
    }
}
