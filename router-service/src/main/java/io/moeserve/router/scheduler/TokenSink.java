package io.moeserve.router.scheduler;

import io.moeserve.core.generate.FinishReason;

import java.util.List;

/**
 * Where a sequence's output goes, called on the scheduler thread: implementations must only hand the
 * event off (e.g. to a queue), never block on a client.
 */
public interface TokenSink {
    /** A candidate token and its log-probability. */
    record TopLogprob(int token, float logprob) {
    }

    /** One generated token; text is what became printable with it (may be empty, or several characters). */
    record Token(int id, String text, float logprob, List<TopLogprob> top) {
    }

    /** Token counts of a finished request; cachedTokens came from the prefix cache. */
    record Usage(int promptTokens, int completionTokens, int cachedTokens) {
        public int totalTokens() {
            return promptTokens + completionTokens;
        }
    }

    /** Log-probabilities of the prompt tokens (the first has none: NaN), before any generated token. */
    default void onPromptLogprobs(float[] logprobs, List<List<TopLogprob>> top) {
    }

    void onToken(Token token);

    void onFinish(FinishReason reason, Usage usage);

    void onError(RuntimeException error);
}
