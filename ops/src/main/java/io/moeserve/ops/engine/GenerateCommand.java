package io.moeserve.ops.engine;

import io.moeserve.core.engine.Engine;
import io.moeserve.core.generate.Generator;
import io.moeserve.core.sampling.SamplingParams;
import io.moeserve.core.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code moe generate}: streams a continuation of a prompt to stdout on the monolithic engine. */
@Command(name = "generate", description = "Generate text from a prompt on the single-process engine.")
public final class GenerateCommand implements Callable<Integer> {
    @Mixin
    ModelOption model;

    @Option(names = "--prompt", required = true, description = "prompt text")
    String prompt;

    @Option(names = "--max-tokens", defaultValue = "64")
    int maxTokens;

    @Option(names = "--temperature", defaultValue = "0", description = "0 = greedy (default)")
    float temperature;

    @Option(names = "--top-p", defaultValue = "1")
    float topP;

    @Option(names = "--top-k", defaultValue = "0")
    int topK;

    @Option(names = "--seed")
    Long seed;

    @Option(names = "--stop", description = "stop sequence (repeatable)")
    List<String> stop;

    @Override
    public Integer call() {
        SamplingParams params = new SamplingParams(temperature, topP, topK, seed, maxTokens, stop, false);
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        try (Engine engine = Engine.load(model.model, model.int8Experts); Tokenizer tok = Tokenizer.load(model.model)) {
            int[] ids = tok.encode(prompt);
            Generator.Result r = new Generator(engine, tok).generate(ids, params, text -> {
                out.print(text);
                out.flush();
            });
            out.println();
            System.err.printf("[%d prompt tokens, %d generated, finish_reason=%s]%n",
                    r.promptTokens(), r.tokens().length, r.finishReason().apiName());
        }
        return 0;
    }
}
