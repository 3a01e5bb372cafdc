package io.moeserve.contract.support;

import java.nio.file.Files;
import java.nio.file.Path;

/** The repository the tests run in: where the built service jars and the bundled model are. */
public final class Repo {
    private Repo() {
    }

    public static Path root() {
        String prop = System.getProperty("moeserve.repo");
        if (prop != null) return Path.of(prop).toAbsolutePath().normalize();
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.exists(p.resolve("models/tiny-moe/config.json"))) return p;
        }
        throw new IllegalStateException("cannot find the repository root (models/tiny-moe) above " + Path.of("").toAbsolutePath());
    }

    public static Path modelDir() {
        return root().resolve("models/tiny-moe");
    }

    /** A module's packaged jar; a missing jar is a failure with instructions, never a skip. */
    public static Path jar(String module) {
        Path jar = root().resolve(module).resolve("target").resolve(module + ".jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: the contract tests run the real services from their jars. "
                    + "Run `./mvnw package -DskipTests` first (or `./mvnw verify`, which packages before it runs these tests).");
        }
        return jar;
    }

    public static Path logDir() {
        return root().resolve("contract-tests/target/stack-logs");
    }
}
