package io.moeserve.router.api;

/** OpenAI's {@code usage} object. */
record Usage(int promptTokens, int completionTokens, int totalTokens, PromptTokensDetails promptTokensDetails) {
    record PromptTokensDetails(int cachedTokens) {
    }

    static Usage of(int prompt, int completion, int cached) {
        return new Usage(prompt, completion, prompt + completion, new PromptTokensDetails(cached));
    }
}
