package io.moeserve.core.api;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * The one error body every moeserve HTTP API returns, in OpenAI's shape
 * {@code {"error":{"message","type","param","code"}}}, so OpenAI clients surface it unchanged.
 * {@code param} and {@code code} are serialized as null when absent, as OpenAI does.
 *
 * <p>It also owns the mapping between HTTP status and {@code type}: gateway and router both
 * build errors through the factories here, so a client sees the same type for the same status
 * whichever service answered. OpenAI SDKs pick their exception class from the status alone;
 * {@code type} and {@code code} are for humans and for clients that branch on them.
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
public record OpenAiError(Body error) {

    /** The inner object; {@code type} is OpenAI's category, e.g. {@code invalid_request_error}. */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record Body(String message, String type, String param, String code) {
    }

    // types, one per status family
    public static final String INVALID_REQUEST = "invalid_request_error";      // 400 and other 4xx
    public static final String AUTHENTICATION = "authentication_error";        // 401
    public static final String PERMISSION = "permission_error";                // 403
    public static final String NOT_FOUND = "not_found_error";                  // 404
    public static final String REQUEST_TOO_LARGE = "request_too_large";        // 413
    public static final String RATE_LIMIT = "rate_limit_error";                // 429
    public static final String SERVICE_UNAVAILABLE = "service_unavailable_error"; // 503
    public static final String SERVER_ERROR = "server_error";                  // 500 and other 5xx

    // codes that clients may branch on
    public static final String CODE_INVALID_API_KEY = "invalid_api_key";
    public static final String CODE_MODEL_NOT_FOUND = "model_not_found";
    public static final String CODE_INVALID_JSON = "invalid_json";
    public static final String CODE_REQUEST_TOO_LARGE = "request_too_large";
    public static final String CODE_RATE_LIMIT_EXCEEDED = "rate_limit_exceeded";
    public static final String CODE_OVERLOADED = "overloaded";
    public static final String CODE_SERVICE_UNAVAILABLE = "service_unavailable";
    public static final String CODE_TIMEOUT = "timeout";

    public static OpenAiError of(String message, String type, String param, String code) {
        return new OpenAiError(new Body(message, type, param, code));
    }

    /** An error whose {@code type} follows from the HTTP status it is sent with. */
    public static OpenAiError forStatus(int status, String message, String param, String code) {
        return of(message, typeFor(status), param, code);
    }

    /** The {@code type} for an HTTP status. */
    public static String typeFor(int status) {
        return switch (status) {
            case 400 -> INVALID_REQUEST;
            case 401 -> AUTHENTICATION;
            case 403 -> PERMISSION;
            case 404 -> NOT_FOUND;
            case 413 -> REQUEST_TOO_LARGE;
            case 429 -> RATE_LIMIT;
            case 503 -> SERVICE_UNAVAILABLE;
            default -> status >= 400 && status < 500 ? INVALID_REQUEST : SERVER_ERROR;
        };
    }

    /** The HTTP status an error of this {@code type} is sent with (400 for other 4xx types, 500 if unknown). */
    public static int statusFor(String type) {
        if (type == null) {
            return 500;
        }
        return switch (type) {
            case INVALID_REQUEST -> 400;
            case AUTHENTICATION -> 401;
            case PERMISSION -> 403;
            case NOT_FOUND -> 404;
            case REQUEST_TOO_LARGE -> 413;
            case RATE_LIMIT -> 429;
            case SERVICE_UNAVAILABLE -> 503;
            default -> 500;
        };
    }

    /** The status this error should be sent with, derived from its type. */
    @JsonIgnore
    public int status() {
        return statusFor(error.type());
    }

    /** A 4xx caused by the request itself; {@code param} names the offending field when there is one. */
    public static OpenAiError invalidRequest(String message, String param, String code) {
        return of(message, INVALID_REQUEST, param, code);
    }

    /** 400 for a body that is not well-formed JSON or not UTF-8. */
    public static OpenAiError invalidJson(String detail) {
        return invalidRequest("We could not parse the JSON body of your request: " + detail
                + " (the body must be a UTF-8 JSON object)", null, CODE_INVALID_JSON);
    }

    /** 401: no key, or a key that is not known. */
    public static OpenAiError authentication(String message) {
        return of(message, AUTHENTICATION, null, CODE_INVALID_API_KEY);
    }

    /** 404 for a model id that is not served. */
    public static OpenAiError modelNotFound(String model) {
        return of("The model `" + model + "` does not exist.", NOT_FOUND, "model", CODE_MODEL_NOT_FOUND);
    }

    /** 404 for anything else that does not exist (e.g. an unknown URL). */
    public static OpenAiError notFound(String message) {
        return of(message, NOT_FOUND, null, null);
    }

    /** 413: the body is over {@code limitBytes}. */
    public static OpenAiError requestTooLarge(long limitBytes) {
        return of("Request body is too large: the limit is " + limitBytes + " bytes.",
                REQUEST_TOO_LARGE, null, CODE_REQUEST_TOO_LARGE);
    }

    /** 429: the caller is over one of its limits; send it with a {@code Retry-After} header. */
    public static OpenAiError rateLimited(String message) {
        return of(message, RATE_LIMIT, null, CODE_RATE_LIMIT_EXCEEDED);
    }

    /** 503: valid request, but no capacity right now (queue full); the client should retry later. */
    public static OpenAiError overloaded(String message) {
        return of(message, SERVICE_UNAVAILABLE, null, CODE_OVERLOADED);
    }

    /** 503: a dependency (router replicas, key store) is unavailable. */
    public static OpenAiError serviceUnavailable(String message) {
        return of(message, SERVICE_UNAVAILABLE, null, CODE_SERVICE_UNAVAILABLE);
    }

    /** A 5xx: the server (or something it depends on) could not serve a valid request. */
    public static OpenAiError serverError(String message, String code) {
        return of(message, SERVER_ERROR, null, code);
    }
}
