package io.moeserve.kvcache.client;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The Lua scripts that implement the cache's policies atomically inside Redis (LRU touch, quota
 * eviction, TTL settlement, statistics). Each is common.lua + its body; the SHA-1 is computed
 * locally so EVALSHA needs no SCRIPT LOAD round trip.
 */
final class KvScripts {
    record Script(String name, String source, String sha) {
    }

    static final Script LOOKUP = load("lookup");
    static final Script TOUCH = load("touch");
    static final Script PUT = load("put");
    static final Script INVALIDATE = load("invalidate");

    private KvScripts() {
    }

    private static Script load(String name) {
        String source = read("common.lua") + "\n" + read(name + ".lua");
        try {
            byte[] sha = MessageDigest.getInstance("SHA-1").digest(source.getBytes(StandardCharsets.UTF_8));
            return new Script(name, source, HexFormat.of().formatHex(sha));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is mandatory in every JDK", e);
        }
    }

    private static String read(String resource) {
        try (InputStream in = KvScripts.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("missing script resource " + resource);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
