package io.moeserve.ops.stack;

import java.nio.file.Files;
import java.nio.file.Path;

/** Finds the repository root (where the service jars are built) from the working directory. */
final class Repo {
    private Repo() {
    }

    static Path root() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null) {
            if (Files.exists(p.resolve("mvnw")) && Files.isDirectory(p.resolve("ops"))) return p;
            p = p.getParent();
        }
        throw new IllegalStateException("run moe from inside the moeserve checkout (no mvnw found above "
                + Path.of("").toAbsolutePath() + ")");
    }

    static Path jar(Path root, String module, String name) {
        Path jar = root.resolve(module).resolve("target").resolve(name);
        if (!Files.exists(jar)) {
            throw new IllegalStateException(jar + " is missing: build it first with ./mvnw -DskipTests package");
        }
        return jar;
    }
}
