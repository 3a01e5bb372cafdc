package io.moeserve.router.config;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.nio.file.Path;

/**
 * The router's settings ({@code moeserve.router.*}).
 *
 * @param modelDir        Hugging Face model directory
 * @param modelId         the id clients use in "model"
 * @param experts         where expert FFNs run: {@code local} (in this process) or {@code kafka}
 * @param maxRunning      sequences decoding together at most (batch slots)
 * @param queueCapacity   admitted-but-waiting requests at most; beyond it, 503 + Retry-After
 * @param maxStepTokens   token budget of one step: decode tokens first, prefill chunks fill the rest
 * @param microBatches    with remote experts, run the sequences in two lanes whose steps overlap (one lane's
 *                        attention and sampling while the other's tokens are at the experts)
 * @param int8Experts     quantize locally computed experts to int8
 * @param maxTokensDefault max_tokens when a request gives none
 */
@ConfigurationProperties("moeserve.router")
public record RouterProperties(
        @DefaultValue("models/tiny-moe") Path modelDir,
        @DefaultValue("tiny-moe") String modelId,
        @DefaultValue("local") String experts,
        @DefaultValue("32") int maxRunning,
        @DefaultValue("64") int queueCapacity,
        @DefaultValue("256") int maxStepTokens,
        @DefaultValue("true") boolean microBatches,
        @DefaultValue("false") boolean int8Experts,
        @DefaultValue("256") int maxTokensDefault) {
}
