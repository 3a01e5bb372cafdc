package io.moeserve.gateway.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;

/**
 * The configured API keys, held only as SHA-256 digests, and the constant-time check of a
 * presented key against them.
 *
 * <p>Why digests: a heap dump or a config listing never shows a usable key. Why constant time:
 * the presented key's digest is compared with {@link MessageDigest#isEqual} against every stored
 * digest with no early exit, so response time does not tell how many leading bytes matched nor
 * which entry did.
 */
public final class ApiKeyDigests {

    private static final HexFormat HEX = HexFormat.of();

    private final List<byte[]> digests;

    private ApiKeyDigests(List<byte[]> digests) {
        this.digests = digests;
    }

    /** From plaintext keys and/or hex digests (both may be empty). */
    public static ApiKeyDigests of(Collection<String> plaintextKeys, Collection<String> hexDigests) {
        var all = new java.util.ArrayList<byte[]>();
        plaintextKeys.forEach(k -> all.add(sha256(k)));
        for (String hex : hexDigests) {
            byte[] d = HEX.parseHex(hex.toLowerCase(java.util.Locale.ROOT));
            if (d.length != 32) {
                throw new IllegalArgumentException("API key digest must be 64 hex chars (SHA-256), got " + hex.length());
            }
            all.add(d);
        }
        return new ApiKeyDigests(List.copyOf(all));
    }

    public boolean isEmpty() {
        return digests.isEmpty();
    }

    /** True if {@code digest} equals one of the stored digests; always compares against all of them. */
    public boolean contains(byte[] digest) {
        boolean found = false;
        for (byte[] stored : digests) {
            found |= MessageDigest.isEqual(stored, digest);
        }
        return found;
    }

    public static byte[] sha256(String key) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    public static String hex(byte[] digest) {
        return HEX.formatHex(digest);
    }
}
