package io.moeserve.router.api;

import io.moeserve.router.api.ChatObjects.ChatCompletion;
import io.moeserve.router.api.ChatObjects.Choice;
import io.moeserve.router.api.ChatObjects.Chunk;
import io.moeserve.router.api.ChatObjects.ChunkChoice;
import io.moeserve.router.api.ChatObjects.Delta;
import io.moeserve.router.api.ChatObjects.Logprobs;
import io.moeserve.router.api.ChatObjects.Message;
import io.moeserve.router.api.ChatObjects.TokenLogprob;
import io.moeserve.router.scheduler.TokenSink;

import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns a chat generation into OpenAI's response: one {@code chat.completion}, or a stream of
 * {@code chat.completion.chunk}s: role first, content deltas, a last chunk with finish_reason, the
 * usage-only chunk if asked, then {@code [DONE]}.
 */
final class ChatResponder {
    private static final String OBJECT = "chat.completion";
    private static final String CHUNK = "chat.completion.chunk";

    record Request(String id, String model, long created, int n, boolean logprobs, boolean includeUsage) {
    }

    private final ServedModels models;

    ChatResponder(ServedModels models) {
        this.models = models;
    }

    ChatCompletion complete(Request req, List<ChoiceResult> results) {
        List<Choice> choices = new ArrayList<>(results.size());
        for (int i = 0; i < results.size(); i++) {
            ChoiceResult r = results.get(i);
            Logprobs lp = null;
            if (req.logprobs()) {
                List<TokenLogprob> content = new ArrayList<>(r.tokens.size());
                for (TokenSink.Token t : r.tokens) content.add(ChatObjects.tokenLogprob(models, t));
                lp = new Logprobs(content, null);
            }
            choices.add(new Choice(i, new Message("assistant", r.text.toString(), null), lp, r.finishReason.apiName()));
        }
        return new ChatCompletion(req.id(), OBJECT, req.created(), req.model(), choices, ChoiceResult.usage(results, req.n()));
    }

    void stream(Request req, Generation g, OutputStream out) throws IOException {
        SseStream sse = new SseStream(out, g);
        int prompt = 0, completion = 0, cached = 0;
        try {
            for (int i = 0; i < g.choices(); i++) send(sse, req, new ChunkChoice(i, new Delta("assistant", ""), null, null));
            for (Generation.Event e; (e = g.next()) != null; ) {
                int i = e.choice();
                switch (e) {
                    case Generation.PromptLogprobs ignored -> {
                    }
                    case Generation.TokenOut t -> {
                        TokenSink.Token tok = t.token();
                        boolean withLogprobs = req.logprobs() && tok.id() >= 0;
                        if (!tok.text().isEmpty() || withLogprobs) {
                            Logprobs lp = withLogprobs ? new Logprobs(List.of(ChatObjects.tokenLogprob(models, tok)), null) : null;
                            send(sse, req, new ChunkChoice(i, new Delta(null, tok.text()), lp, null));
                        }
                    }
                    case Generation.Finished f -> {
                        send(sse, req, new ChunkChoice(i, new Delta(null, null), null, f.reason().apiName()));
                        completion += f.usage().completionTokens();
                        if (i == 0) {  // every choice shares the one prompt
                            prompt = f.usage().promptTokens();
                            cached = f.usage().cachedTokens();
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
                sse.send(new Chunk(req.id(), CHUNK, req.created(), req.model(), List.of(), Usage.of(prompt, completion, cached)));
            }
            sse.done();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void send(SseStream sse, Request req, ChunkChoice choice) throws IOException {
        sse.send(new Chunk(req.id(), CHUNK, req.created(), req.model(), List.of(choice), null));
    }
}
