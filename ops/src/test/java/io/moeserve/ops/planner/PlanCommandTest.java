package io.moeserve.ops.planner;

import io.moeserve.core.placement.PlacementPlan;
import io.moeserve.core.placement.PlacementPlans;
import io.moeserve.ops.MoeCli;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class PlanCommandTest {

    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int moe(String... args) {
        CommandLine cli = MoeCli.newCommandLine();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        return cli.execute(args);
    }

    @Test
    void compareJson_printsOneObjectWithAllFourMethods_andWritesPlanAndReport() throws Exception {
        Path plan = dir.resolve("plan.json");
        Path html = dir.resolve("report.html");
        int code = moe("plan", "--trace", Traces.tinyMoe().toString(), "--experts", "16", "--instances", "4",
                "--windows", "2", "--time-limit", "4", "--compare", "--json", "--out", plan.toString(), "--html", html.toString());

        assertThat(code).as(err.toString()).isZero();
        JsonNode root = JsonMapper.builder().build().readTree(out.toString());
        assertThat(root.propertyNames()).containsExactly("methods");
        assertThat(root.get("methods")).hasSize(4);
        String[] names = {"round-robin", "contiguous", "greedy", "ilp"};
        for (int i = 0; i < 4; i++) {
            JsonNode m = root.get("methods").get(i);
            assertThat(m.get("name").asString()).isEqualTo(names[i]);
            assertThat(m.propertyNames()).containsExactly("name", "max_mean_load", "max_mean_load_p99",
                    "messages_per_token", "migration_bytes", "solve_seconds", "gap");
            assertThat(m.get("max_mean_load").asDouble()).isBetween(1.0, 2.0);
            assertThat(m.get("messages_per_token").asDouble()).isBetween(1.0, 2.0);
        }
        assertThat(root.get("methods").get(2).get("gap").isNull()).isTrue();
        assertThat(root.get("methods").get(3).get("gap").asDouble()).isBetween(0.0, 1.0);

        PlacementPlan written = PlacementPlans.read(plan);
        assertThat(written.numExperts()).isEqualTo(16);
        assertThat(written.instances()).hasSize(4);
        String page = Files.readString(html);
        assertThat(page).startsWith("<!doctype html>").contains("<h2>ilp</h2>", "<h2>greedy</h2>", "table class=\"heat\"")
                .doesNotContain("<script", "http://", "https://");
    }

    @Test
    void table_isTheDefaultOutput() {
        int code = moe("plan", "--synthetic", "mixtral", "--instances", "4", "--windows", "1", "--tokens-per-window", "512",
                "--method", "greedy");
        assertThat(code).as(err.toString()).isZero();
        assertThat(out.toString()).contains("mixtral: 32 layers x 8 experts (top-2), 4 instances").contains("greedy ");
    }

    @Test
    void missingTraceFile_isOneErrorLine_exit2() {
        Path nope = dir.resolve("nope.csv");
        int code = moe("plan", "--trace", nope.toString(), "--experts", "16", "--instances", "4");
        assertThat(code).isEqualTo(2);
        assertThat(err.toString().strip()).isEqualTo("moe: trace file " + nope + " does not exist");
    }

    @Test
    void badCsvRow_isOneErrorLine_exit2() throws Exception {
        Path f = dir.resolve("bad.csv");
        Files.writeString(f, "seq,pos,l0,l1\n0,0,1+2,3+4\n0,1,1+2,3+oops\n");
        int code = moe("plan", "--trace", f.toString(), "--experts", "16", "--instances", "2", "--windows", "1");
        assertThat(code).isEqualTo(2);
        assertThat(err.toString().strip()).isEqualTo("moe: trace " + f + " line 3 column l1: 'oops' is not an integer");
    }

    @Test
    void expertsMismatch_isOneErrorLine_exit2() {
        int code = moe("plan", "--trace", Traces.tinyMoe().toString(), "--experts", "8", "--instances", "4");
        assertThat(code).isEqualTo(2);
        assertThat(err.toString().strip()).startsWith("moe: trace ").contains("is out of range for --experts 8").hasLineCount(1);
    }

    @Test
    void traceWithoutExperts_saysWhatIsMissing() {
        int code = moe("plan", "--trace", Traces.tinyMoe().toString(), "--instances", "4");
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("--trace needs --experts E (or --model DIR)");
    }

    @Test
    void previousPlanOfAnotherShape_isRejected() throws Exception {
        Path prev = dir.resolve("prev.json");
        PlacementPlans.write(PlacementPlans.roundRobin("m", 2, 16, PlacementPlans.uniformInstances(4, 1L << 30)), prev);
        int code = moe("plan", "--trace", Traces.tinyMoe().toString(), "--experts", "16", "--instances", "4",
                "--previous", prev.toString());
        assertThat(code).isEqualTo(2);
        assertThat(err.toString().strip()).isEqualTo("moe: --previous plan has 2 layers x 16 experts but the trace has 4 x 16");
    }
}
