package io.moeserve.gateway.ratelimit;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongConsumer;

import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.SignalType;
import tools.jackson.databind.JsonNode;

import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.http.server.reactive.ServerHttpResponseDecorator;

/**
 * Watches a proxied response go by, without holding it back, to learn how many tokens it used:
 * a JSON body's {@code usage} when it completes, or a stream's usage chunk. Calls
 * {@code onTokens} once, when the response ends (also if the client went away), for 2xx only.
 *
 * <p>If the gateway had to turn {@code stream_options.include_usage} on for its own accounting
 * ({@link RateLimitFilter#STRIP_USAGE_CHUNK_ATTR}), the usage-only chunk is removed so the client gets exactly
 * the stream it asked for. Streams are still flushed chunk by chunk: an upstream chunk is held
 * only while it ends inside an unfinished event.
 */
final class UsageCapturingResponse extends ServerHttpResponseDecorator {

    private static final int MAX_JSON_BYTES = 4 * 1024 * 1024;

    private final Map<String, Object> attributes;
    private final LongConsumer onTokens;
    private final AtomicBoolean reported = new AtomicBoolean();
    private volatile long tokens = -1;

    UsageCapturingResponse(ServerHttpResponse delegate, Map<String, Object> attributes, LongConsumer onTokens) {
        super(delegate);
        this.attributes = attributes;
        this.onTokens = onTokens;
    }

    @Override
    public Mono<Void> writeWith(Publisher<? extends DataBuffer> body) {
        if (isEventStream()) {
            return writeAndFlushWith(Flux.from(body).map(Flux::just));
        }
        ByteArrayOutputStream copy = new ByteArrayOutputStream();
        Flux<DataBuffer> tapped = Flux.<DataBuffer>from(body)
                .doOnNext(buffer -> {
                    if (copy.size() + buffer.readableByteCount() <= MAX_JSON_BYTES) {
                        copy.writeBytes(bytesOf(buffer));
                    }
                })
                .doFinally(signal -> {
                    // parsed here, after the completion reached the client, not on the way to it
                    if (signal == SignalType.ON_COMPLETE) {
                        tokens = UsageReader.tokensOf(copy.toByteArray());
                    }
                    report();
                });
        return super.writeWith(tapped);
    }

    @Override
    public Mono<Void> writeAndFlushWith(Publisher<? extends Publisher<? extends DataBuffer>> body) {
        boolean strip = Boolean.TRUE.equals(attributes.get(RateLimitFilter.STRIP_USAGE_CHUNK_ATTR));
        SseEventSplitter splitter = new SseEventSplitter();
        Flux<Publisher<DataBuffer>> tapped = Flux.from(body)
                .map(inner -> (Publisher<DataBuffer>) Flux.from(inner).map(buffer -> scan(buffer, splitter, strip)))
                .concatWith(Flux.defer(() -> {
                    byte[] tail = strip ? splitter.remainder() : new byte[0];
                    return tail.length == 0 ? Flux.empty() : Flux.just(Flux.just(bufferFactory().wrap(tail)));
                }))
                .doFinally(signal -> report());
        return super.writeAndFlushWith(tapped);
    }

    /** Looks at the events this buffer completes; passes the buffer on unchanged unless an event must be dropped. */
    private DataBuffer scan(DataBuffer buffer, SseEventSplitter splitter, boolean strip) {
        var events = splitter.feed(bytesOf(buffer));
        if (!strip) {
            events.forEach(e -> record(e, false));
            return buffer;
        }
        // Stripping: re-emit only kept, complete events; an unfinished tail waits for its next bytes.
        ByteArrayOutputStream kept = new ByteArrayOutputStream();
        for (byte[] event : events) {
            if (!record(event, true)) {
                kept.writeBytes(event);
            }
        }
        DataBufferUtils.release(buffer);
        return bufferFactory().wrap(kept.toByteArray());
    }

    /** Records usage found in the event; returns true if it is the usage-only chunk to drop. */
    private boolean record(byte[] event, boolean strip) {
        String text = new String(event, StandardCharsets.UTF_8);
        if (!text.contains("\"usage\"")) {
            return false;
        }
        for (String line : text.split("\r?\n")) {
            if (line.startsWith("data:")) {
                JsonNode chunk = UsageReader.parse(line.substring(5).strip());
                if (chunk != null) {
                    long used = UsageReader.tokensOf(chunk);
                    if (used >= 0) {
                        tokens = used;
                    }
                    return strip && UsageReader.isUsageOnlyChunk(chunk);
                }
            }
        }
        return false;
    }

    private void report() {
        HttpStatusCode status = getStatusCode();
        if (tokens > 0 && status != null && status.is2xxSuccessful() && reported.compareAndSet(false, true)) {
            onTokens.accept(tokens);
        }
    }

    private boolean isEventStream() {
        MediaType type = getHeaders().getContentType();
        return type != null && MediaType.TEXT_EVENT_STREAM.isCompatibleWith(type);
    }

    private static byte[] bytesOf(DataBuffer buffer) {
        byte[] bytes = new byte[buffer.readableByteCount()];
        buffer.toByteBuffer(buffer.readPosition(), java.nio.ByteBuffer.wrap(bytes), 0, bytes.length);
        return bytes;
    }
}
