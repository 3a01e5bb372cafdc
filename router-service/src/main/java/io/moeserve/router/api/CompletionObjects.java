package io.moeserve.router.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.moeserve.router.scheduler.TokenSink;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The objects of {@code /v1/completions}, as OpenAI's legacy completions API shapes them. */
final class CompletionObjects {
    private CompletionObjects() {
    }

    /** A response ({@code object: "text_completion"}) or a stream chunk (same object name; usage only in the last). */
    record Completion(String id, String object, long created, String model, List<Choice> choices,
                      @JsonInclude(JsonInclude.Include.NON_NULL) Usage usage) {
    }

    record Choice(int index, String text, Logprobs logprobs, String finishReason) {
    }

    /** Legacy logprobs: parallel arrays, top_logprobs maps token text to log-probability. */
    record Logprobs(List<String> tokens, List<Double> tokenLogprobs, List<Map<String, Double>> topLogprobs,
                    List<Integer> textOffset) {
    }

    /** Builds legacy logprobs token by token; text_offset counts characters from the start of the choice's text. */
    static final class LogprobsBuilder {
        private final ServedModels models;
        private final List<String> tokens = new ArrayList<>();
        private final List<Double> logprobs = new ArrayList<>();
        private final List<Map<String, Double>> top = new ArrayList<>();
        private final List<Integer> offsets = new ArrayList<>();
        private int offset;

        LogprobsBuilder(ServedModels models, int startOffset) {
            this.models = models;
            this.offset = startOffset;
        }

        /** Prompt tokens (echo): the first has no logprob; the scheduler gives no alternatives for them. */
        void addPrompt(int[] ids, float[] lps) {
            for (int i = 0; i < ids.length; i++) {
                float lp = lps == null || i >= lps.length ? Float.NaN : lps[i];
                Map<String, Double> alt = null;
                if (!Float.isNaN(lp)) {
                    alt = new LinkedHashMap<>();
                    alt.put(models.tokenText(ids[i]), ApiJson.logprob(lp));
                }
                add(ids[i], lp, alt);
            }
        }

        /** A generated token: its logprob and the top alternatives, the chosen one always among them. */
        void addGenerated(TokenSink.Token t) {
            Map<String, Double> alt = new LinkedHashMap<>();
            for (TokenSink.TopLogprob c : t.top()) alt.putIfAbsent(models.tokenText(c.token()), ApiJson.logprob(c.logprob()));
            alt.putIfAbsent(models.tokenText(t.id()), ApiJson.logprob(t.logprob()));
            add(t.id(), t.logprob(), alt);
        }

        private void add(int id, float lp, Map<String, Double> alt) {
            String text = models.tokenText(id);
            tokens.add(text);
            logprobs.add(ApiJson.logprob(lp));
            top.add(alt);
            offsets.add(offset);
            offset += text.length();
        }

        boolean isEmpty() {
            return tokens.isEmpty();
        }

        /** The tokens added since the last build, and starts afresh (streaming sends each chunk's own). */
        Logprobs build() {
            Logprobs l = new Logprobs(List.copyOf(tokens), new ArrayList<>(logprobs), new ArrayList<>(top), List.copyOf(offsets));
            tokens.clear();
            logprobs.clear();
            top.clear();
            offsets.clear();
            return l;
        }
    }
}
