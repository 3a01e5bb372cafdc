package io.moeserve.router.api;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * Limits of the OpenAI-style API ({@code moeserve.router.api.*}).
 *
 * @param maxRequestBytes           bodies above this are refused with 413 while they are read (the
 *                                  gateway has its own, smaller limit; this one protects a router
 *                                  that is called directly)
 * @param maxChoices                prompts x n of one request at most: each is a sequence in the batch
 * @param completionsMaxTokensDefault max_tokens of /v1/completions when absent (OpenAI's default is 16;
 *                                  chat uses {@code moeserve.router.max-tokens-default})
 */
@ConfigurationProperties("moeserve.router.api")
public record ApiProperties(
        @DefaultValue("2MB") DataSize maxRequestBytes,
        @DefaultValue("16") int maxChoices,
        @DefaultValue("16") int completionsMaxTokensDefault) {
}
