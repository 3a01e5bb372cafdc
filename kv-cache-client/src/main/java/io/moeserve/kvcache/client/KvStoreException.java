package io.moeserve.kvcache.client;

/** A store call that did not succeed (HTTP status, transport error); counts as a failure for the breaker. */
public class KvStoreException extends RuntimeException {
    public KvStoreException(String message) {
        super(message);
    }

    public KvStoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
