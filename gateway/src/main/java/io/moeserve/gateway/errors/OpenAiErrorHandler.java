package io.moeserve.gateway.errors;

import java.io.IOException;
import java.util.concurrent.TimeoutException;

import io.moeserve.core.api.OpenAiError;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.core.annotation.Order;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebExceptionHandler;

/**
 * Renders every error the gateway itself produces as OpenAI's JSON, before Boot's default
 * handler (order -1) can answer with its own shape. Errors answered by a router replica never
 * come here: they are proxied unchanged.
 */
@Component
@Order(-2)
public class OpenAiErrorHandler implements WebExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(OpenAiErrorHandler.class);
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Override
    public Mono<Void> handle(ServerWebExchange exchange, Throwable ex) {
        ServerHttpResponse response = exchange.getResponse();
        if (response.isCommitted()) {
            // Mid-stream failure: bytes already went out, the only honest signal left is closing.
            return Mono.error(ex);
        }
        GatewayException error = toGatewayError(exchange, ex);
        response.setStatusCode(HttpStatusCode.valueOf(error.status()));
        response.getHeaders().setContentType(MediaType.APPLICATION_JSON);
        error.headers().forEach(response.getHeaders()::set);
        byte[] body = JSON.writeValueAsBytes(error.error());
        response.getHeaders().setContentLength(body.length);
        return response.writeWith(Mono.fromSupplier(() -> response.bufferFactory().wrap(body)));
    }

    static GatewayException toGatewayError(ServerWebExchange exchange, Throwable ex) {
        if (ex instanceof GatewayException g) {
            return g;
        }
        if (ex instanceof ResponseStatusException rse) {
            int status = rse.getStatusCode().value();
            if (status == 404 || status == 405) {
                var request = exchange.getRequest();
                return new GatewayException(404, OpenAiError.notFound(
                        "Invalid URL (" + request.getMethod() + " " + request.getPath().value() + ")"));
            }
            if (status == 504) {
                return new GatewayException(504, OpenAiError.serverError(
                        "The model server did not start answering in time.", OpenAiError.CODE_TIMEOUT));
            }
            if (status == 413) {
                return new GatewayException(413, OpenAiError.forStatus(413, "Request body is too large.", null,
                        OpenAiError.CODE_REQUEST_TOO_LARGE));
            }
            String reason = rse.getReason() != null ? rse.getReason() : rse.getStatusCode().toString();
            return new GatewayException(status, OpenAiError.forStatus(status, reason, null, null));
        }
        if (ex instanceof DataBufferLimitException) {
            return new GatewayException(413, OpenAiError.forStatus(413, "Request body is too large.", null,
                    OpenAiError.CODE_REQUEST_TOO_LARGE));
        }
        if (ex instanceof IOException || ex instanceof TimeoutException) {
            log.warn("upstream failure for {} {}: {}", exchange.getRequest().getMethod(),
                    exchange.getRequest().getPath(), ex.toString());
            return GatewayException.retryAfter(503, OpenAiError.serviceUnavailable(
                    "No model server could answer the request; retry shortly."), 1);
        }
        log.error("unexpected error for {} {}", exchange.getRequest().getMethod(), exchange.getRequest().getPath(), ex);
        return new GatewayException(500, OpenAiError.serverError("The gateway failed to handle the request.", null));
    }
}
