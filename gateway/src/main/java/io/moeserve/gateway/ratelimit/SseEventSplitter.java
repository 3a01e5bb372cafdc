package io.moeserve.gateway.ratelimit;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Cuts a Server-Sent-Events byte stream into whole events (each ending with an empty line),
 * whatever way the network split it. Works on bytes, so a UTF-8 character split across two
 * buffers is never decoded half; an event's bytes are only decoded once it is complete.
 */
final class SseEventSplitter {

    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

    /** Feeds the next bytes; returns the events completed by them, each with its terminating blank line. */
    List<byte[]> feed(byte[] chunk) {
        List<byte[]> events = new ArrayList<>();
        byte[] data;
        if (pending.size() == 0) {
            data = chunk;
        } else {
            pending.writeBytes(chunk);
            data = pending.toByteArray();
            pending.reset();
        }
        int start = 0;
        for (int i = 1; i < data.length; i++) {
            if (data[i] == '\n' && (data[i - 1] == '\n' || (data[i - 1] == '\r' && i >= 2 && data[i - 2] == '\n'))) {
                events.add(java.util.Arrays.copyOfRange(data, start, i + 1));
                start = i + 1;
            }
        }
        if (start < data.length) {
            pending.write(data, start, data.length - start);
        }
        return events;
    }

    /** Bytes of an event not terminated yet (sent as they are when the stream ends). */
    byte[] remainder() {
        return pending.toByteArray();
    }
}
