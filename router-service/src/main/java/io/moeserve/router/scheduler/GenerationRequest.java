package io.moeserve.router.scheduler;

import io.moeserve.core.sampling.SamplingParams;

/**
 * One request as the scheduler sees it: prompt token ids and how to sample.
 *
 * @param topLogprobs    -1: no logprobs; 0: the chosen token's; n: also the n most likely
 * @param promptLogprobs also report the log-probability of every prompt token (echo + logprobs)
 */
public record GenerationRequest(String id, int[] prompt, SamplingParams params, int topLogprobs, boolean promptLogprobs) {
    public GenerationRequest(String id, int[] prompt, SamplingParams params) {
        this(id, prompt, params, -1, false);
    }
}
