package io.moeserve.router.api;

import io.moeserve.router.config.RouterProperties;
import io.moeserve.router.model.ModelRuntime;
import io.moeserve.router.scheduler.GenerationRequest;
import io.moeserve.router.scheduler.Scheduler;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code POST /v1/completions}: OpenAI's legacy completions. Several prompts (array) and n > 1 are
 * served as separate sequences of the batch, choice index = prompt * n + j, as OpenAI orders them.
 */
@RestController
public class CompletionsController {
    private static final int MAX_LOGPROBS = 5;

    private final ServedModels models;
    private final Scheduler scheduler;
    private final JsonBody jsonBody;
    private final ApiProperties api;
    private final CompletionResponder responder;

    public CompletionsController(ServedModels models, Scheduler scheduler, JsonBody jsonBody, ApiProperties api) {
        this.models = models;
        this.scheduler = scheduler;
        this.jsonBody = jsonBody;
        this.api = api;
        this.responder = new CompletionResponder(models);
    }

    @PostMapping("/v1/completions")
    public ResponseEntity<byte[]> complete(HttpServletRequest http, HttpServletResponse response) throws IOException, InterruptedException {
        ObjectNode body = jsonBody.read(http);
        Fields f = Fields.of(body);
        ModelRuntime model = models.require(f.requiredString("model"));
        Long logprobs = f.integer("logprobs", 0, MAX_LOGPROBS);
        boolean echo = f.bool("echo", false);
        f.onlyDefault("suffix", "is not supported by this server.", "");
        SamplingOptions opts = SamplingOptions.parse(f, f.integer("max_tokens", 1, Long.MAX_VALUE));
        Long bestOf = f.integer("best_of", 1, 128);
        if (bestOf != null && bestOf != opts.n()) {
            throw ApiException.unsupportedValue("best_of", "does not support " + bestOf + ": best_of must equal n here.");
        }
        List<Prompts.Prompt> prompts = Prompts.parse(f.get("prompt"), models);
        int choices = prompts.size() * opts.n();
        if (choices > api.maxChoices()) {
            throw ApiException.invalidValue(prompts.size() > 1 ? "prompt" : "n", "a request may ask for at most "
                    + api.maxChoices() + " completions (prompts x n), but this one asks for " + choices + ".");
        }
        String id = Ids.completion();
        List<GenerationRequest> requests = new ArrayList<>(choices);
        for (Prompts.Prompt p : prompts) {
            int maxTokens = Prompts.maxTokens(p.ids().length, opts.maxTokens(), api.completionsMaxTokensDefault(),
                    model.maxContext(), "prompt");
            for (int j = 0; j < opts.n(); j++) {
                requests.add(new GenerationRequest(id + "-" + requests.size(), p.ids(), opts.params(maxTokens, j),
                        logprobs == null ? -1 : logprobs.intValue(), echo && logprobs != null));
            }
        }
        CompletionResponder.Request req = new CompletionResponder.Request(id, model.modelId(), System.currentTimeMillis() / 1000,
                prompts, opts.n(), echo, logprobs != null, opts.includeUsage());
        Generation generation = Generation.start(scheduler, requests);
        try (generation) {  // closing cancels whatever is still running: the client is gone or we failed
            if (opts.stream()) {
                Streaming.write(response, out -> responder.stream(req, generation, out));
                return null;  // written already
            }
            return ApiJson.ok(responder.complete(req, ChoiceResult.collect(generation)));
        }
    }
}
