package io.moeserve.router.api;

import io.moeserve.core.generate.FinishReason;
import io.moeserve.router.scheduler.TokenSink;

import java.util.ArrayList;
import java.util.List;

/** Everything one choice produced, for a non-streamed response. */
final class ChoiceResult {
    final StringBuilder text = new StringBuilder();
    /** Generated tokens (not the text-only flush at the end), with their logprobs. */
    final List<TokenSink.Token> tokens = new ArrayList<>();
    float[] promptLogprobs;
    FinishReason finishReason;
    TokenSink.Usage usage;

    /** Waits for every choice of the generation to finish; a failure becomes the request's error. */
    static List<ChoiceResult> collect(Generation g) throws InterruptedException {
        List<ChoiceResult> results = new ArrayList<>();
        for (int i = 0; i < g.choices(); i++) results.add(new ChoiceResult());
        for (Generation.Event e; (e = g.next()) != null; ) {
            switch (e) {
                case Generation.PromptLogprobs p -> results.get(p.choice()).promptLogprobs = p.logprobs();
                case Generation.TokenOut t -> {
                    ChoiceResult r = results.get(t.choice());
                    r.text.append(t.token().text());
                    if (t.token().id() >= 0) r.tokens.add(t.token());
                }
                case Generation.Finished f -> {
                    results.get(f.choice()).finishReason = f.reason();
                    results.get(f.choice()).usage = f.usage();
                }
                case Generation.Failed f -> throw Failures.toApi(f.error());
            }
        }
        return results;
    }

    /** Usage of the whole request: each prompt counted once however many choices (n) it has, as OpenAI does. */
    static Usage usage(List<ChoiceResult> results, int n) {
        int prompt = 0, completion = 0, cached = 0;
        for (int i = 0; i < results.size(); i++) {
            TokenSink.Usage u = results.get(i).usage;
            completion += u.completionTokens();
            if (i % n == 0) {
                prompt += u.promptTokens();
                cached += u.cachedTokens();
            }
        }
        return Usage.of(prompt, completion, cached);
    }
}
