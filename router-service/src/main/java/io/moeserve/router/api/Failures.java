package io.moeserve.router.api;

import io.moeserve.core.api.OpenAiError;
import io.moeserve.router.scheduler.OverloadedException;

/** What a failure reported by the scheduler means for the client. */
final class Failures {
    private Failures() {
    }

    static ApiException toApi(RuntimeException e) {
        if (e instanceof ApiException api) return api;
        if (e instanceof OverloadedException o) return ApiException.overloaded(o.getMessage(), o.retryAfterSeconds());
        if (e instanceof IllegalArgumentException) return ApiException.badRequest(e.getMessage(), null, null);
        // A 5xx never carries internals (class names, stack traces): those go to the log.
        return ApiException.of(OpenAiError.serverError("The server failed to generate a response; please retry.", null));
    }
}
