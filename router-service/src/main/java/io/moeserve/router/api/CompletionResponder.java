package io.moeserve.router.api;

import io.moeserve.router.api.CompletionObjects.Choice;
import io.moeserve.router.api.CompletionObjects.Completion;
import io.moeserve.router.api.CompletionObjects.LogprobsBuilder;
import io.moeserve.router.scheduler.TokenSink;

import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;

/** Turns a completion's generation into the response: one JSON object, or SSE chunks as tokens come. */
final class CompletionResponder {
    private static final String OBJECT = "text_completion";

    /** What the response needs to know about the request; choice i belongs to prompts[i / n]. */
    record Request(String id, String model, long created, List<Prompts.Prompt> prompts, int n, boolean echo,
                   boolean logprobs, boolean includeUsage) {
        Prompts.Prompt prompt(int choice) {
            return prompts.get(choice / n);
        }
    }

    private final ServedModels models;

    CompletionResponder(ServedModels models) {
        this.models = models;
    }

    Completion complete(Request req, List<ChoiceResult> results) {
        List<Choice> choices = new ArrayList<>(results.size());
        for (int i = 0; i < results.size(); i++) {
            ChoiceResult r = results.get(i);
            Prompts.Prompt p = req.prompt(i);
            CompletionObjects.Logprobs lp = null;
            if (req.logprobs()) {
                LogprobsBuilder b = new LogprobsBuilder(models, 0);
                if (req.echo()) b.addPrompt(p.ids(), r.promptLogprobs);
                r.tokens.forEach(b::addGenerated);
                lp = b.build();
            }
            String text = req.echo() ? p.text() + r.text : r.text.toString();
            choices.add(new Choice(i, text, lp, r.finishReason.apiName()));
        }
        return new Completion(req.id(), OBJECT, req.created(), req.model(), choices, ChoiceResult.usage(results, req.n()));
    }

    void stream(Request req, Generation g, OutputStream out) throws IOException {
        SseStream sse = new SseStream(out, g);
        int count = g.choices();
        List<LogprobsBuilder> builders = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            builders.add(new LogprobsBuilder(models, 0));
            if (req.echo() && !req.logprobs()) {
                send(sse, req, new Choice(i, req.prompt(i).text(), null, null));  // prompt logprobs not asked: echo now
            }
        }
        int prompt = 0, completion = 0, cached = 0;
        try {
            for (Generation.Event e; (e = g.next()) != null; ) {
                int i = e.choice();
                switch (e) {
                    case Generation.PromptLogprobs p -> {
                        LogprobsBuilder b = builders.get(i);
                        b.addPrompt(req.prompt(i).ids(), p.logprobs());
                        send(sse, req, new Choice(i, req.prompt(i).text(), b.build(), null));
                    }
                    case Generation.TokenOut t -> {
                        TokenSink.Token tok = t.token();
                        boolean withLogprobs = req.logprobs() && tok.id() >= 0;
                        if (withLogprobs) builders.get(i).addGenerated(tok);
                        if (!tok.text().isEmpty() || withLogprobs) {
                            send(sse, req, new Choice(i, tok.text(), withLogprobs ? builders.get(i).build() : null, null));
                        }
                    }
                    case Generation.Finished f -> {
                        send(sse, req, new Choice(i, "", null, f.reason().apiName()));
                        completion += f.usage().completionTokens();
                        if (i % req.n() == 0) {
                            prompt += f.usage().promptTokens();
                            cached += f.usage().cachedTokens();
                        }
                    }
                    case Generation.Failed f -> {
                        sse.sendError(Failures.toApi(f.error()));
                        sse.done();
                        return;
                    }
                }
            }
            if (req.includeUsage()) {
                sse.send(new Completion(req.id(), OBJECT, req.created(), req.model(), List.of(), Usage.of(prompt, completion, cached)));
            }
            sse.done();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void send(SseStream sse, Request req, Choice choice) throws IOException {
        sse.send(new Completion(req.id(), OBJECT, req.created(), req.model(), List.of(choice), null));
    }
}
