package io.moeserve.router;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.moeserve.core.checkpoint.Checkpoint;
import io.moeserve.core.engine.LocalExperts;
import io.moeserve.router.config.RouterProperties;
import io.moeserve.router.model.ModelRuntime;
import io.moeserve.router.prefix.PrefixCache;
import io.moeserve.router.scheduler.Scheduler;
import io.moeserve.router.scheduler.SchedulerMetrics;

import java.nio.file.Files;
import java.nio.file.Path;

/** The bundled tiny model, loaded once per test JVM, and schedulers over it. */
public final class TestModel {
    private static ModelRuntime runtime;

    private TestModel() {
    }

    public static Path dir() {
        Path p = Path.of("").toAbsolutePath();
        while (!Files.exists(p.resolve("models/tiny-moe/config.json"))) p = p.getParent();
        return p.resolve("models/tiny-moe");
    }

    public static synchronized ModelRuntime runtime() {
        if (runtime == null) {
            Checkpoint ckpt = Checkpoint.open(dir());
            runtime = ModelRuntime.create("tiny-moe", ckpt, LocalExperts.all(ckpt, false));
        }
        return runtime;
    }

    public static RouterProperties props(int maxRunning, int queue) {
        return new RouterProperties(dir(), "tiny-moe", "local", maxRunning, queue, 256, false, false, 256);
    }

    public static Scheduler scheduler(int maxRunning, int queue, PrefixCache prefixCache) {
        ModelRuntime rt = runtime();
        return new Scheduler(rt, props(maxRunning, queue), 1,
                new SchedulerMetrics(new SimpleMeterRegistry(), "tiny-moe"), prefixCache);
    }
}
