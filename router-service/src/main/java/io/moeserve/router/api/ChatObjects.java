package io.moeserve.router.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.moeserve.router.scheduler.TokenSink;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** The objects of {@code /v1/chat/completions}, shaped as OpenAI's. */
final class ChatObjects {
    private ChatObjects() {
    }

    record ChatCompletion(String id, String object, long created, String model, List<Choice> choices, Usage usage) {
    }

    record Choice(int index, Message message, Logprobs logprobs, String finishReason) {
    }

    /** refusal is always null here, but present: OpenAI's SDKs expect the field. */
    record Message(String role, String content, String refusal) {
    }

    /** A stream chunk; usage only in the final usage-only chunk (choices empty). */
    record Chunk(String id, String object, long created, String model, List<ChunkChoice> choices,
                 @JsonInclude(JsonInclude.Include.NON_NULL) Usage usage) {
    }

    record ChunkChoice(int index, Delta delta, Logprobs logprobs, String finishReason) {
    }

    /** A delta carries only what changed: role in the first, content after, nothing in the last. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Delta(String role, String content) {
    }

    record Logprobs(List<TokenLogprob> content, String refusal) {
    }

    record TokenLogprob(String token, double logprob, List<Integer> bytes, List<TopLogprob> topLogprobs) {
    }

    record TopLogprob(String token, double logprob, List<Integer> bytes) {
    }

    static TokenLogprob tokenLogprob(ServedModels models, TokenSink.Token t) {
        List<TopLogprob> top = new ArrayList<>(t.top().size());
        for (TokenSink.TopLogprob c : t.top()) {
            String s = models.tokenText(c.token());
            top.add(new TopLogprob(s, ApiJson.logprob(c.logprob()), bytes(s)));
        }
        String s = models.tokenText(t.id());
        Double lp = ApiJson.logprob(t.logprob());
        return new TokenLogprob(s, lp == null ? 0 : lp, bytes(s), top);
    }

    private static List<Integer> bytes(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        List<Integer> out = new ArrayList<>(b.length);
        for (byte x : b) out.add(x & 0xff);
        return out;
    }
}
