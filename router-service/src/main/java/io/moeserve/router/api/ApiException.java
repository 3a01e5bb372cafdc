package io.moeserve.router.api;

import io.moeserve.core.api.OpenAiError;
import tools.jackson.databind.JsonNode;

/**
 * A request the API refuses, with the HTTP status and the OpenAI error body to answer with. The
 * factories word their messages like OpenAI's, and always name the offending parameter.
 */
public final class ApiException extends RuntimeException {
    // OpenAI's codes for parameter errors
    static final String INVALID_TYPE = "invalid_type";
    static final String INVALID_VALUE = "invalid_value";
    static final String MISSING = "missing_required_parameter";
    static final String UNSUPPORTED = "unsupported_parameter";
    static final String UNSUPPORTED_VALUE = "unsupported_value";
    static final String CONTEXT_LENGTH = "context_length_exceeded";

    private final int status;
    private final OpenAiError error;
    private final int retryAfterSeconds;

    ApiException(int status, OpenAiError error, int retryAfterSeconds) {
        super(error.error().message(), null, false, false); // an expected outcome: no stack trace needed
        this.status = status;
        this.error = error;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    static ApiException of(OpenAiError error) {
        return new ApiException(error.status(), error, 0);
    }

    static ApiException badRequest(String message, String param, String code) {
        return of(OpenAiError.invalidRequest(message, param, code));
    }

    static ApiException invalidType(String param, String expected, JsonNode got) {
        return badRequest("Invalid type for '" + param + "': expected " + expected + ", but got "
                + describe(got) + " instead.", param, INVALID_TYPE);
    }

    static ApiException invalidValue(String param, String problem) {
        return badRequest("Invalid '" + param + "': " + problem, param, INVALID_VALUE);
    }

    static ApiException missing(String param) {
        return badRequest("Missing required parameter: '" + param + "'.", param, MISSING);
    }

    static ApiException unsupported(String param, String problem) {
        return badRequest("Unsupported parameter: '" + param + "' " + problem, param, UNSUPPORTED);
    }

    static ApiException unsupportedValue(String param, String problem) {
        return badRequest("Unsupported value: '" + param + "' " + problem, param, UNSUPPORTED_VALUE);
    }

    /** vLLM's wording, which clients and people already know. */
    static ApiException contextLength(int limit, long promptTokens, long completionTokens, String param) {
        if (promptTokens >= limit) {
            return badRequest("This model's maximum context length is " + limit + " tokens. However, your request has "
                    + promptTokens + " input tokens. Please reduce the length of the input.", param, CONTEXT_LENGTH);
        }
        return badRequest("This model's maximum context length is " + limit + " tokens. However, you requested "
                + (promptTokens + completionTokens) + " tokens (" + promptTokens + " in the messages, "
                + completionTokens + " in the completion). Please reduce the length of the messages or completion.",
                param, CONTEXT_LENGTH);
    }

    static ApiException modelNotFound(String model) {
        return of(OpenAiError.modelNotFound(model));
    }

    static ApiException overloaded(String message, int retryAfterSeconds) {
        return new ApiException(503, OpenAiError.overloaded(message), Math.max(1, retryAfterSeconds));
    }

    private static String describe(JsonNode n) {
        if (n.isString()) return "a string";
        if (n.isBoolean()) return "a boolean";
        if (n.isIntegralNumber()) return "an integer";
        if (n.isNumber()) return "a decimal";
        if (n.isArray()) return "an array";
        if (n.isObject()) return "an object";
        return "null";
    }

    public int status() {
        return status;
    }

    public OpenAiError error() {
        return error;
    }

    /** Seconds for a Retry-After header; 0 for none. */
    public int retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
