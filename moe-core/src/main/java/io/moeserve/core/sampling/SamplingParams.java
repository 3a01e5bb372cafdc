package io.moeserve.core.sampling;

import java.util.List;

/**
 * How to pick each next token and when to stop. temperature 0 is greedy. seed makes sampling
 * reproducible (same seed, same tokens); null draws a fresh seed. Validation messages name the
 * OpenAI parameter, since these come straight from API requests.
 */
public record SamplingParams(float temperature, float topP, int topK, Long seed, int maxTokens,
                             List<String> stop, boolean ignoreEos) {
    public static final int MAX_STOP_SEQUENCES = 4;

    public SamplingParams {
        if (!(temperature >= 0 && temperature <= 2)) throw new InvalidSamplingException("temperature", "must be between 0 and 2, got " + temperature);
        if (!(topP > 0 && topP <= 1)) throw new InvalidSamplingException("top_p", "must be in (0, 1], got " + topP);
        if (topK < 0) throw new InvalidSamplingException("top_k", "must be >= 0 (0 disables it), got " + topK);
        if (maxTokens < 1) throw new InvalidSamplingException("max_tokens", "must be at least 1, got " + maxTokens);
        stop = stop == null ? List.of() : List.copyOf(stop);
        if (stop.size() > MAX_STOP_SEQUENCES) throw new InvalidSamplingException("stop", "at most " + MAX_STOP_SEQUENCES + " stop sequences");
        for (String s : stop) if (s.isEmpty()) throw new InvalidSamplingException("stop", "stop sequences must not be empty");
    }

    public static SamplingParams greedy(int maxTokens) {
        return new SamplingParams(0f, 1f, 0, null, maxTokens, List.of(), false);
    }

    public boolean isGreedy() {
        return temperature == 0f;
    }

    /** A sampling parameter outside its range; param is the API's name for it. */
    public static final class InvalidSamplingException extends IllegalArgumentException {
        private final String param;

        public InvalidSamplingException(String param, String message) {
            super(param + " " + message);
            this.param = param;
        }

        public String param() {
            return param;
        }
    }
}
