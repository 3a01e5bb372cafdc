package io.moeserve.core.generate;

/** Why a generation ended, with OpenAI's names. */
public enum FinishReason {
    /** End-of-sequence token or a stop sequence. */
    STOP("stop"),
    /** max_tokens or the model's context reached. */
    LENGTH("length");

    private final String apiName;

    FinishReason(String apiName) {
        this.apiName = apiName;
    }

    public String apiName() {
        return apiName;
    }
}
