package io.moeserve.ops;

import io.moeserve.ops.bench.BenchCommand;
import io.moeserve.ops.engine.GenerateCommand;
import io.moeserve.ops.engine.LogitsCommand;
import io.moeserve.ops.stack.DownCommand;
import io.moeserve.ops.stack.UpCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code moe} command line; each subcommand lives in its feature package. */
@Command(name = "moe", mixinStandardHelpOptions = true, version = "moeserve 0.1.0",
        description = "Serve and inspect Mixture-of-Experts models.",
        subcommands = {
                GenerateCommand.class,
                LogitsCommand.class,
                BenchCommand.class,
                UpCommand.class,
                DownCommand.class,
                io.moeserve.ops.planner.PlanCommand.class,
                io.moeserve.ops.planner.live.PlannerCommand.class,
        })
public final class MoeCli implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(newCommandLine().execute(args));
    }

    /** The configured command line: user errors print one precise line, not a stack trace. */
    public static CommandLine newCommandLine() {
        CommandLine cli = new CommandLine(new MoeCli());
        cli.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            cmd.getErr().println("moe: " + (ex.getMessage() == null ? ex.toString() : ex.getMessage()));
            if (System.getenv("MOE_DEBUG") != null) {
                ex.printStackTrace(cmd.getErr());
            }
            return 2;
        });
        return cli;
    }
}
