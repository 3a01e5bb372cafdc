package io.moeserve.ops.bench;

import picocli.CommandLine.Command;

/** {@code moe bench}: the benchmarks whose figures go to docs/benchmarks.md. */
@Command(name = "bench", description = "Benchmarks (speed is measured here, never in unit tests).",
        subcommands = {EngineBench.class, ServeBench.class, PrefixBench.class, GatewayBench.class})
public final class BenchCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
