package io.moeserve.ops.stack;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code moe down}: stops the processes {@code moe up} recorded, gateway first, broker last. */
@Command(name = "down", description = "Stop the local stack started by `moe up`.")
public final class DownCommand implements Callable<Integer> {
    @Option(names = "--run-dir", defaultValue = "run")
    Path runDir = Path.of("run");

    @Override
    public Integer call() throws Exception {
        int n = stopAll(Repo.root().resolve(runDir));
        System.out.println(n == 0 ? "moeserve: nothing was running" : "moeserve: stopped " + n + " processes");
        return 0;
    }

    int stopAll(Path run) throws Exception {
        StackState state = StackState.load(run);
        List<StackState.Service> services = new ArrayList<>(state.services());
        Collections.reverse(services);
        int n = 0;
        for (StackState.Service s : services) {
            if (ProcessHandle.of(s.pid()).map(ProcessHandle::isAlive).orElse(false)) {
                ServiceProcess.stop(s, Duration.ofSeconds(20));
                n++;
            }
        }
        Files.deleteIfExists(StackState.file(run));
        return n;
    }
}
