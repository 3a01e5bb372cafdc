package io.moeserve.router.api;

import io.moeserve.core.sampling.SamplingParams;
import tools.jackson.databind.JsonNode;

import java.util.List;

/**
 * The request fields completions and chat share: sampling, stop, n, streaming, and the OpenAI
 * options this server accepts only at their neutral value (penalties, logit_bias), refused with a
 * 400 otherwise rather than silently ignored.
 *
 * @param maxTokens null when the request gives none (each endpoint has its default)
 */
record SamplingOptions(Long maxTokens, float temperature, float topP, int topK, Long seed, List<String> stop,
                       boolean ignoreEos, int n, boolean stream, boolean includeUsage) {

    static SamplingOptions parse(Fields f, Long maxTokens) {
        Double temperature = f.number("temperature", 0, 2);
        Double topP = f.number("top_p", 0, 1);
        if (topP != null && topP == 0) throw ApiException.invalidValue("top_p", "must be greater than 0, got 0.");
        Long topK = f.integer("top_k", -1, Integer.MAX_VALUE);  // vLLM's -1 and our 0 both mean "off"
        Long seed = f.integer("seed", Long.MIN_VALUE, Long.MAX_VALUE);
        List<String> stop = f.stringOrStrings("stop");
        if (stop != null && stop.size() > SamplingParams.MAX_STOP_SEQUENCES) {
            throw ApiException.invalidValue("stop", "expected at most " + SamplingParams.MAX_STOP_SEQUENCES
                    + " stop sequences, but got " + stop.size() + ".");
        }
        if (stop != null && stop.stream().anyMatch(String::isEmpty)) {
            throw ApiException.invalidValue("stop", "stop sequences must not be empty.");
        }
        Long n = f.integer("n", 1, 128);
        boolean stream = f.bool("stream", false);
        boolean includeUsage = false;
        JsonNode so = f.get("stream_options");
        if (so != null) {
            if (!stream) {
                throw ApiException.badRequest("The 'stream_options' parameter is only allowed when 'stream' is enabled.",
                        "stream_options", ApiException.INVALID_VALUE);
            }
            if (!so.isObject()) throw ApiException.invalidType("stream_options", "an object", so);
            includeUsage = new Fields(so, "stream_options.").bool("include_usage", false);
        }
        for (String penalty : List.of("presence_penalty", "frequency_penalty")) {
            Double p = f.number(penalty, -2, 2);
            if (p != null && p != 0) {
                throw ApiException.unsupportedValue(penalty, "does not support " + p + ": this server accepts only 0.");
            }
        }
        Double rep = f.number("repetition_penalty", 0, Double.MAX_VALUE);
        if (rep != null && rep != 1) {
            throw ApiException.unsupportedValue("repetition_penalty", "does not support " + rep + ": this server accepts only 1.");
        }
        JsonNode bias = f.get("logit_bias");
        if (bias != null && !bias.isObject()) throw ApiException.invalidType("logit_bias", "an object", bias);
        f.onlyDefault("logit_bias", "is not supported by this server; only an empty map is accepted.", Fields.EMPTY);
        f.string("user");  // accepted for compatibility (type-checked), not used
        return new SamplingOptions(maxTokens, temperature == null ? 1f : temperature.floatValue(),
                topP == null ? 1f : topP.floatValue(), topK == null || topK < 0 ? 0 : topK.intValue(),
                seed, stop == null ? List.of() : stop, f.bool("ignore_eos", false),
                n == null ? 1 : n.intValue(), stream, includeUsage);
    }

    /** Sampling for choice j of a prompt: with a seed and n > 1, choice j uses seed + j, so choices differ yet repeat. */
    SamplingParams params(int maxTokens, int j) {
        Long s = seed == null ? null : seed + j;
        return new SamplingParams(temperature, topP, topK, s, maxTokens, stop, ignoreEos);
    }
}
