package io.moeserve.router.api;

import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.json.JsonMapper;

/**
 * How the API writes JSON: response records have Java names and come out in OpenAI's snake_case;
 * nulls are written (OpenAI sends {@code "logprobs": null}, and its SDKs expect such fields present).
 */
final class ApiJson {
    static final JsonMapper MAPPER = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .build();

    private ApiJson() {
    }

    static byte[] bytes(Object value) {
        return MAPPER.writeValueAsBytes(value);
    }

    static ResponseEntity<byte[]> ok(Object body) {
        return ResponseEntity.ok().contentType(MediaType.APPLICATION_JSON).body(bytes(body));
    }

    static ResponseEntity<byte[]> error(ApiException e) {
        ResponseEntity.BodyBuilder b = ResponseEntity.status(e.status()).contentType(MediaType.APPLICATION_JSON);
        if (e.retryAfterSeconds() > 0) b.header(HttpHeaders.RETRY_AFTER, Integer.toString(e.retryAfterSeconds()));
        return b.body(bytes(e.error()));
    }

    /** A log-probability as JSON can carry it: no NaN or infinities (vLLM's -9999 for impossible tokens). */
    static Double logprob(float lp) {
        if (Float.isNaN(lp)) return null;
        return Float.isInfinite(lp) ? -9999.0 : (double) lp;
    }
}
