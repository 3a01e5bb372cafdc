package io.moeserve.gateway.ratelimit;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads the tokens a response used from OpenAI's {@code usage} object: {@code total_tokens},
 * else {@code prompt_tokens + completion_tokens}. Returns -1 when there is no usable usage.
 */
final class UsageReader {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private UsageReader() {
    }

    static long tokensOf(byte[] json) {
        try {
            return tokensOf(JSON.readTree(json));
        } catch (RuntimeException e) {
            return -1;
        }
    }

    static long tokensOf(JsonNode root) {
        JsonNode usage = root.path("usage");
        if (!usage.isObject()) {
            return -1;
        }
        if (usage.path("total_tokens").isNumber()) {
            return usage.get("total_tokens").asLong();
        }
        long prompt = usage.path("prompt_tokens").asLong(0);
        long completion = usage.path("completion_tokens").asLong(0);
        return prompt + completion;
    }

    /** True for the usage-only chunk a stream ends with when include_usage is on: empty choices, a usage object. */
    static boolean isUsageOnlyChunk(JsonNode root) {
        return root.path("usage").isObject() && root.path("choices").isArray() && root.path("choices").isEmpty();
    }

    static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (RuntimeException e) {
            return null;
        }
    }
}
