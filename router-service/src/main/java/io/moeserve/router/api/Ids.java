package io.moeserve.router.api;

import java.util.UUID;

/** Response ids with OpenAI's prefixes. */
final class Ids {
    private Ids() {
    }

    static String completion() {
        return "cmpl-" + hex();
    }

    static String chat() {
        return "chatcmpl-" + hex();
    }

    private static String hex() {
        return UUID.randomUUID().toString().replace("-", "");
    }
}
