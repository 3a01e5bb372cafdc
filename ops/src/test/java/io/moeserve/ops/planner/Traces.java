package io.moeserve.ops.planner;

import java.net.URISyntaxException;
import java.nio.file.Path;

/** The tiny-moe routing trace shipped with the tests (a copy of shared/traces/tiny-moe-kjv.csv). */
final class Traces {

    private Traces() {
    }

    static Path tinyMoe() {
        try {
            return Path.of(Traces.class.getResource("/traces/tiny-moe-kjv.csv").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
