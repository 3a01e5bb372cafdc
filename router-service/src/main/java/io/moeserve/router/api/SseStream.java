package io.moeserve.router.api;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Writes Server-Sent Events ({@code data: <json>\n\n}) and flushes each one, so every chunk reaches
 * the client as soon as it exists. A failed write means the client is gone: the generation is
 * cancelled at once, which frees its batch slots at the scheduler's next step.
 */
final class SseStream {
    private static final Logger log = LoggerFactory.getLogger(SseStream.class);
    private static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII);

    private final OutputStream out;
    private final Generation generation;

    SseStream(OutputStream out, Generation generation) {
        this.out = out;
        this.generation = generation;
    }

    void send(Object chunk) throws IOException {
        byte[] json = ApiJson.bytes(chunk);
        byte[] event = new byte[json.length + 8];
        System.arraycopy("data: ".getBytes(StandardCharsets.US_ASCII), 0, event, 0, 6);
        System.arraycopy(json, 0, event, 6, json.length);
        event[event.length - 2] = '\n';
        event[event.length - 1] = '\n';
        write(event);
    }

    /** An error after the stream started (status already 200): sent as an event, as vLLM and OpenAI do. */
    void sendError(ApiException e) throws IOException {
        send(e.error());
    }

    void done() throws IOException {
        write(DONE);
    }

    private void write(byte[] bytes) throws IOException {
        try {
            out.write(bytes);
            out.flush();
        } catch (IOException e) {
            generation.cancel();
            log.debug("client went away mid-stream; cancelled its generation: {}", e.toString());
            throw e;
        }
    }
}
