package io.moeserve.gateway.auth;

/**
 * Who a request belongs to once its key was accepted: the key's SHA-256 hex digest (the rate
 * limit bucket and the id the router sees; never the key itself), a display name, and optional
 * per-key budgets (null = the configured default).
 */
public record ApiKeyIdentity(String digestHex, String name, Long requestsPerMinute, Long tokensPerMinute) {

    /** Exchange attribute under which the filters after authentication find the identity. */
    public static final String ATTR = ApiKeyIdentity.class.getName();

    /** Short, log-safe id: the first 16 hex chars of the digest. */
    public String shortId() {
        return digestHex.substring(0, Math.min(16, digestHex.length()));
    }
}
