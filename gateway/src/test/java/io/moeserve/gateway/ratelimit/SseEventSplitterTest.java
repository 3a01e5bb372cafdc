package io.moeserve.gateway.ratelimit;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class SseEventSplitterTest {

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static List<String> feedAll(SseEventSplitter splitter, byte[]... chunks) {
        List<String> events = new ArrayList<>();
        for (byte[] c : chunks) {
            splitter.feed(c).forEach(e -> events.add(new String(e, StandardCharsets.UTF_8)));
        }
        return events;
    }

    @Test
    void eventsSplitAnywhere_comeOutWhole() {
        byte[] stream = "data: {\"a\":\"é\"}\n\ndata: {\"b\":2}\r\n\r\ndata: [DONE]\n\n".getBytes(StandardCharsets.UTF_8);
        for (int cut = 1; cut < stream.length; cut++) {
            var splitter = new SseEventSplitter();
            var events = feedAll(splitter, java.util.Arrays.copyOfRange(stream, 0, cut),
                    java.util.Arrays.copyOfRange(stream, cut, stream.length));
            assertThat(events).as("cut at %d", cut)
                    .containsExactly("data: {\"a\":\"é\"}\n\n", "data: {\"b\":2}\r\n\r\n", "data: [DONE]\n\n");
            assertThat(splitter.remainder()).isEmpty();
        }
    }

    @Test
    void unfinishedEvent_waitsForItsEnd() {
        var splitter = new SseEventSplitter();
        assertThat(splitter.feed("data: {\"x\":".getBytes(StandardCharsets.UTF_8))).isEmpty();
        assertThat(new String(splitter.remainder(), StandardCharsets.UTF_8)).isEqualTo("data: {\"x\":");
        assertThat(splitter.feed("1}\n\n".getBytes(StandardCharsets.UTF_8))).hasSize(1);
    }

    @Test
    void usage_isReadFromTotalOrFromItsParts() {
        assertThat(UsageReader.tokensOf(utf8("{\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":4,\"total_tokens\":7}}"))).isEqualTo(7);
        assertThat(UsageReader.tokensOf(utf8("{\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":4}}"))).isEqualTo(7);
        assertThat(UsageReader.tokensOf(utf8("{\"usage\":null}"))).isEqualTo(-1);
        assertThat(UsageReader.tokensOf(utf8("not json"))).isEqualTo(-1);
        assertThat(UsageReader.isUsageOnlyChunk(UsageReader.parse("{\"choices\":[],\"usage\":{\"total_tokens\":1}}"))).isTrue();
        assertThat(UsageReader.isUsageOnlyChunk(UsageReader.parse("{\"choices\":[{}],\"usage\":null}"))).isFalse();
    }
}
