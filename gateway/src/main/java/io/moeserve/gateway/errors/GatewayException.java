package io.moeserve.gateway.errors;

import java.util.Map;

import io.moeserve.core.api.OpenAiError;

/**
 * A refusal decided by the gateway itself (auth, limits, no replica): carries the OpenAI error,
 * its HTTP status and extra response headers such as {@code Retry-After}. Rendered by
 * {@link OpenAiErrorHandler}; no stack trace is captured because these are expected outcomes.
 */
public final class GatewayException extends RuntimeException {

    private final int status;
    private final OpenAiError error;
    private final Map<String, String> headers;

    public GatewayException(int status, OpenAiError error, Map<String, String> headers) {
        super(error.error().message(), null, false, false);
        this.status = status;
        this.error = error;
        this.headers = Map.copyOf(headers);
    }

    public GatewayException(int status, OpenAiError error) {
        this(status, error, Map.of());
    }

    public static GatewayException retryAfter(int status, OpenAiError error, long seconds) {
        return new GatewayException(status, error, Map.of("Retry-After", Long.toString(Math.max(1, seconds))));
    }

    public int status() {
        return status;
    }

    public OpenAiError error() {
        return error;
    }

    public Map<String, String> headers() {
        return headers;
    }
}
