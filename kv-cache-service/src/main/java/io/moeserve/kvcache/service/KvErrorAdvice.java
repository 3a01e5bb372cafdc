package io.moeserve.kvcache.service;

import io.lettuce.core.RedisException;
import io.moeserve.core.api.OpenAiError;
import io.moeserve.kvcache.client.KvStoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.ErrorResponse;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;

/** Maps failures to OpenAI-shaped errors: bad input 4xx, Redis away 503 (clients then go degraded). */
@RestControllerAdvice
class KvErrorAdvice {
    private static final Logger log = LoggerFactory.getLogger(KvErrorAdvice.class);

    @ExceptionHandler(IllegalArgumentException.class)
    ResponseEntity<OpenAiError> badRequest(IllegalArgumentException e) {
        return body(HttpStatus.BAD_REQUEST, OpenAiError.invalidRequest(e.getMessage(), null, "invalid_kv_request"));
    }

    @ExceptionHandler({RedisException.class, KvStoreException.class})
    ResponseEntity<OpenAiError> redisDown(RuntimeException e) {
        log.warn("kv-cache backend unavailable: {}", e.toString());
        return body(HttpStatus.SERVICE_UNAVAILABLE, OpenAiError.forStatus(503,
                "kv cache backend (Redis) unavailable: " + e.getMessage(), null, "kv_backend_unavailable"));
    }

    /** Spring's own 4xx (unsupported media type, unknown path, wrong method) in the same shape; else a 500. */
    @ExceptionHandler(Exception.class)
    ResponseEntity<OpenAiError> other(Exception e) {
        if (e instanceof ErrorResponse er && er.getStatusCode().is4xxClientError()) {
            String detail = er.getBody().getDetail() != null ? er.getBody().getDetail() : e.getMessage();
            int status = er.getStatusCode().value();
            return body(HttpStatus.valueOf(status), OpenAiError.forStatus(status, detail, null, null));
        }
        log.error("kv-cache request failed", e);
        return body(HttpStatus.INTERNAL_SERVER_ERROR, OpenAiError.serverError(e.toString(), "internal_error"));
    }

    private static ResponseEntity<OpenAiError> body(HttpStatus status, OpenAiError error) {
        return ResponseEntity.status(status).contentType(MediaType.APPLICATION_JSON).body(error);
    }
}
