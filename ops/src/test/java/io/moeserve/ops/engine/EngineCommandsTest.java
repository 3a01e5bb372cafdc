package io.moeserve.ops.engine;

import io.moeserve.ops.MoeCli;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The engine commands of the moe CLI, run in-process as a user would call them. */
class EngineCommandsTest {
    static final JsonMapper JSON = JsonMapper.builder().build();

    record Run(int exit, String out, String err) {
    }

    static Run run(String... args) {
        PrintStream oldOut = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StringWriter err = new StringWriter();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            CommandLine cli = MoeCli.newCommandLine();
            cli.setErr(new PrintWriter(err, true));
            int exit = cli.execute(args);
            return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString());
        } finally {
            System.setOut(oldOut);
        }
    }

    static Path model() {
        Path p = Path.of("").toAbsolutePath();
        while (!Files.exists(p.resolve("models/tiny-moe/config.json"))) p = p.getParent();
        return p.resolve("models/tiny-moe");
    }

    @Test
    void logits_printsLastLogitsAndRouterTopkMatchingGolden() throws Exception {
        JsonNode golden = JSON.readTree(Files.readString(model().resolve("golden.json"))).get("cases").get(1);
        StringBuilder ids = new StringBuilder();
        for (JsonNode id : golden.get("input_ids")) ids.append(ids.isEmpty() ? "" : ",").append(id.asInt());
        Run r = run("logits", "--model", model().toString(), "--ids", ids.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        JsonNode got = JSON.readTree(r.out());
        JsonNode want = golden.get("last_logits");
        assertThat(got.get("last_logits").size()).isEqualTo(want.size());
        double max = 0;
        for (int i = 0; i < want.size(); i++) max = Math.max(max, Math.abs(got.get("last_logits").get(i).asDouble() - want.get(i).asDouble()));
        assertThat(max).isLessThanOrEqualTo(1e-3);
        assertThat(got.get("router_topk")).isEqualTo(golden.get("router_topk"));
    }

    @Test
    void generate_greedyStreamsTheGoldenContinuation() throws Exception {
        JsonNode golden = JSON.readTree(Files.readString(model().resolve("golden.json"))).get("cases").get(0);
        Run r = run("generate", "--model", model().toString(), "--prompt", golden.get("text").asString(), "--max-tokens", "8");
        assertThat(r.exit()).as(r.err()).isZero();
        try (var tok = io.moeserve.core.tokenizer.Tokenizer.load(model())) {
            int[] ids = new int[8];
            for (int i = 0; i < 8; i++) ids[i] = golden.get("greedy_ids").get(i).asInt();
            assertThat(r.out().stripTrailing()).isEqualTo(tok.decode(ids).stripTrailing());
        }
    }

    @Test
    void missingModelDirectory_failsWithOneLineNamingIt(@TempDir Path tmp) {
        Run r = run("generate", "--model", tmp.resolve("nope").toString(), "--prompt", "hi");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).startsWith("moe: ").contains("nope").contains("does not exist");
    }

    @Test
    void truncatedCheckpoint_failsNamingTheFile(@TempDir Path tmp) throws Exception {
        for (String f : new String[]{"config.json", "tokenizer.json", "tokenizer_config.json"}) Files.copy(model().resolve(f), tmp.resolve(f));
        byte[] all = Files.readAllBytes(model().resolve("model.safetensors"));
        Files.write(tmp.resolve("model.safetensors"), java.util.Arrays.copyOf(all, all.length / 2));
        Run r = run("logits", "--model", tmp.toString(), "--ids", "1,2,3");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("model.safetensors is truncated");
    }

    @Test
    void logits_promptLongerThanContext_failsNamingTheLimit() {
        String ids = String.join(",", java.util.Collections.nCopies(1025, "5"));
        Run r = run("logits", "--model", model().toString(), "--ids", ids);
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("1025").contains("1024").contains("max_position_embeddings");
    }

    @Test
    void generate_invalidTemperature_failsNamingTheParameter() {
        Run r = run("generate", "--model", model().toString(), "--prompt", "hi", "--temperature", "7");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("temperature");
    }

    @Test
    void generate_emptyPrompt_failsClearly() {
        Run r = run("generate", "--model", model().toString(), "--prompt", "");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("prompt is empty");
    }
}
