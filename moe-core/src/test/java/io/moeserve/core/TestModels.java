package io.moeserve.core;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates the bundled tiny model from any module's working directory. */
public final class TestModels {
    private TestModels() {
    }

    public static Path tinyMoe() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null) {
            Path m = p.resolve("models/tiny-moe");
            if (Files.exists(m.resolve("config.json"))) return m;
            p = p.getParent();
        }
        throw new IllegalStateException("models/tiny-moe not found above " + Path.of("").toAbsolutePath());
    }
}
