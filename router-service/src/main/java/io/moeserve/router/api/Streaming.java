package io.moeserve.router.api;

import jakarta.servlet.http.HttpServletResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;

import java.io.IOException;
import java.io.OutputStream;

/**
 * The HTTP side of a streamed (SSE) response, written straight to the servlet response on the
 * request's own virtual thread: the headers go out at once, then each event as the body writer
 * produces it. A client that went away (failed write) ends the response quietly: the writer has
 * already cancelled the generation.
 */
final class Streaming {
    private static final Logger log = LoggerFactory.getLogger(Streaming.class);

    interface Body {
        void writeTo(OutputStream out) throws IOException;
    }

    private Streaming() {
    }

    static void write(HttpServletResponse response, Body body) {
        try {
            response.setStatus(200);
            response.setContentType(MediaType.TEXT_EVENT_STREAM_VALUE);
            response.setHeader(HttpHeaders.CACHE_CONTROL, "no-cache");
            response.setHeader("X-Accel-Buffering", "no");  // proxies (nginx) must not buffer the events
            response.flushBuffer();
            body.writeTo(response.getOutputStream());
        } catch (IOException e) {
            log.debug("stream ended early, client gone: {}", e.toString());
        }
    }
}
