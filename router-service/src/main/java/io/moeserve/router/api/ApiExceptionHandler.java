package io.moeserve.router.api;

import io.moeserve.core.api.OpenAiError;
import io.moeserve.core.engine.ContextLengthException;
import io.moeserve.core.sampling.SamplingParams.InvalidSamplingException;
import io.moeserve.router.scheduler.OverloadedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.ResponseEntity;
import org.springframework.web.HttpMediaTypeNotSupportedException;
import org.springframework.web.HttpRequestMethodNotSupportedException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.servlet.resource.NoResourceFoundException;

/**
 * Every error the API answers, in OpenAI's shape through {@link OpenAiError}. Unexpected failures
 * are logged with their stack trace and answered with a generic 500 that reveals nothing inside.
 */
@RestControllerAdvice
public class ApiExceptionHandler {
    private static final Logger log = LoggerFactory.getLogger(ApiExceptionHandler.class);

    @ExceptionHandler(ApiException.class)
    ResponseEntity<byte[]> api(ApiException e) {
        return ApiJson.error(e);
    }

    @ExceptionHandler(OverloadedException.class)
    ResponseEntity<byte[]> overloaded(OverloadedException e) {
        return ApiJson.error(ApiException.overloaded(e.getMessage(), e.retryAfterSeconds()));
    }

    @ExceptionHandler(InvalidSamplingException.class)
    ResponseEntity<byte[]> sampling(InvalidSamplingException e) {
        return ApiJson.error(ApiException.badRequest(e.getMessage(), e.param(), ApiException.INVALID_VALUE));
    }

    @ExceptionHandler(ContextLengthException.class)
    ResponseEntity<byte[]> context(ContextLengthException e) {
        return ApiJson.error(ApiException.badRequest(e.getMessage(), null, ApiException.CONTEXT_LENGTH));
    }

    @ExceptionHandler(NoResourceFoundException.class)
    ResponseEntity<byte[]> noRoute(NoResourceFoundException e) {
        return ApiJson.error(ApiException.of(OpenAiError.notFound("No route for " + e.getHttpMethod() + " /" + e.getResourcePath())));
    }

    @ExceptionHandler(HttpRequestMethodNotSupportedException.class)
    ResponseEntity<byte[]> method(HttpRequestMethodNotSupportedException e) {
        return ApiJson.error(new ApiException(405, OpenAiError.forStatus(405, "Method " + e.getMethod()
                + " is not allowed here.", null, "method_not_allowed"), 0));
    }

    @ExceptionHandler(HttpMediaTypeNotSupportedException.class)
    ResponseEntity<byte[]> mediaType(HttpMediaTypeNotSupportedException e) {
        return ApiJson.error(new ApiException(415, OpenAiError.forStatus(415, e.getMessage(), null, null), 0));
    }

    @ExceptionHandler(Exception.class)
    ResponseEntity<byte[]> unexpected(Exception e) {
        if (e instanceof java.io.IOException) {
            log.debug("I/O error on a request (client gone?): {}", e.toString());  // nothing to fix on our side
        } else {
            log.error("request failed", e);
        }
        return ApiJson.error(ApiException.of(OpenAiError.serverError("The server had an error while processing your request.", null)));
    }
}
