package io.moeserve.gateway.limits;

import java.util.Set;

import io.moeserve.core.api.OpenAiError;
import io.moeserve.gateway.config.GatewayProperties;
import io.moeserve.gateway.errors.GatewayException;
import io.moeserve.gateway.ratelimit.RateLimitFilter;
import io.moeserve.gateway.routing.UpstreamHeadersFilter;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.cloud.gateway.filter.GlobalFilter;
import org.springframework.core.Ordered;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;

/**
 * Reads each request body once, up to {@code moeserve.gateway.limits.max-request-bytes}, counting
 * bytes as they stream in: a declared Content-Length over the limit is refused before reading, and
 * a chunked body (no Content-Length) is refused the moment it passes the limit - 413 either way.
 * POST bodies must be UTF-8 JSON objects (else 400).
 *
 * <p>The accepted body is kept as bytes and replayed to the router with an exact Content-Length,
 * which is also what lets the routing filter retry on another replica. Requests are small (1 MiB
 * by default) so holding one is cheap; responses are never held.
 */
@Component
public class RequestBodyFilter implements GlobalFilter, Ordered {

    public static final int ORDER = -700;
    /** Endpoints whose streamed answers carry usage the gateway may need for token budgets. */
    private static final Set<String> GENERATION_PATHS = Set.of("/v1/completions", "/v1/chat/completions");

    private final long maxBytes;

    public RequestBodyFilter(GatewayProperties properties) {
        this.maxBytes = properties.limits().maxRequestBytes().toBytes();
    }

    @Override
    public int getOrder() {
        return ORDER;
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, GatewayFilterChain chain) {
        ServerHttpRequest request = exchange.getRequest();
        HttpHeaders headers = request.getHeaders();
        if (headers.getContentLength() > maxBytes) {
            return Mono.error(tooLarge());
        }
        boolean post = HttpMethod.POST.equals(request.getMethod());
        boolean hasBody = headers.getContentLength() > 0 || headers.containsHeader(HttpHeaders.TRANSFER_ENCODING);
        if (!post && !hasBody) {
            return chain.filter(exchange);
        }
        return DataBufferUtils.join(request.getBody(), (int) Math.min(Integer.MAX_VALUE, maxBytes))
                .map(RequestBodyFilter::drain)
                .defaultIfEmpty(new byte[0])
                .onErrorMap(DataBufferLimitException.class, e -> tooLarge())
                .flatMap(body -> {
                    byte[] forwarded = body;
                    if (post) {
                        boolean stream = JsonBody.validate(body);
                        if (stream && Boolean.TRUE.equals(exchange.getAttribute(RateLimitFilter.NEEDS_USAGE_ATTR))
                                && GENERATION_PATHS.contains(request.getPath().value())) {
                            byte[] rewritten = JsonBody.withStreamUsage(body);
                            if (rewritten != null) {
                                forwarded = rewritten;
                                exchange.getAttributes().put(RateLimitFilter.STRIP_USAGE_CHUNK_ATTR, Boolean.TRUE);
                            }
                        }
                    }
                    return chain.filter(exchange.mutate().request(replaying(exchange, forwarded)).build());
                });
    }

    private static ServerHttpRequest replaying(ServerWebExchange exchange, byte[] body) {
        // sent with this exact Content-Length, no Transfer-Encoding and no Expect (the body is already
        // here: no 100-continue round trip to the router), by UpstreamHeadersFilter
        exchange.getAttributes().put(UpstreamHeadersFilter.BODY_LENGTH_ATTR, body.length);
        var factory = exchange.getResponse().bufferFactory();
        return new ServerHttpRequestDecorator(exchange.getRequest()) {
            @Override
            public Flux<DataBuffer> getBody() {
                // a fresh buffer per subscription: each retry attempt sends the body again
                return Flux.defer(() -> Flux.just(factory.wrap(body)));
            }
        };
    }

    private static byte[] drain(DataBuffer joined) {
        try {
            byte[] bytes = new byte[joined.readableByteCount()];
            joined.read(bytes);
            return bytes;
        } finally {
            DataBufferUtils.release(joined);
        }
    }

    private GatewayException tooLarge() {
        return new GatewayException(413, OpenAiError.requestTooLarge(maxBytes));
    }
}
