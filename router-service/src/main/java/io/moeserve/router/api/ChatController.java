package io.moeserve.router.api;

import io.moeserve.core.tokenizer.ChatTemplate;
import io.moeserve.router.config.RouterProperties;
import io.moeserve.router.model.ModelRuntime;
import io.moeserve.router.scheduler.GenerationRequest;
import io.moeserve.router.scheduler.Scheduler;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.JsonNode;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code POST /v1/chat/completions}: messages rendered with the model's chat template, then
 * generated like a completion. max_tokens (or max_completion_tokens) defaults to
 * {@code moeserve.router.max-tokens-default}, cut to what the context leaves.
 */
@RestController
public class ChatController {
    private static final int MAX_TOP_LOGPROBS = 20;

    private final ServedModels models;
    private final Scheduler scheduler;
    private final JsonBody jsonBody;
    private final ApiProperties api;
    private final RouterProperties router;
    private final ChatResponder responder;

    public ChatController(ServedModels models, Scheduler scheduler, JsonBody jsonBody, ApiProperties api, RouterProperties router) {
        this.models = models;
        this.scheduler = scheduler;
        this.jsonBody = jsonBody;
        this.api = api;
        this.router = router;
        this.responder = new ChatResponder(models);
    }

    @PostMapping("/v1/chat/completions")
    public ResponseEntity<byte[]> chat(HttpServletRequest http, HttpServletResponse response) throws IOException, InterruptedException {
        Fields f = Fields.of(jsonBody.read(http));
        ModelRuntime model = models.require(f.requiredString("model"));
        List<ChatTemplate.Message> messages = ChatMessages.parse(f.get("messages"));
        boolean logprobs = f.bool("logprobs", false);
        Long top = f.integer("top_logprobs", 0, MAX_TOP_LOGPROBS);
        if (top != null && top > 0 && !logprobs) {
            throw ApiException.invalidValue("top_logprobs", "requires 'logprobs' to be true.");
        }
        rejectUnsupported(f);
        SamplingOptions opts = SamplingOptions.parse(f, maxTokens(f));
        int[] prompt = render(model, messages, f.bool("add_generation_prompt", true));
        int maxTokens = Prompts.maxTokens(prompt.length, opts.maxTokens(), router.maxTokensDefault(), model.maxContext(), "messages");
        if (opts.n() > api.maxChoices()) {
            throw ApiException.invalidValue("n", "expected at most " + api.maxChoices() + ", but got " + opts.n() + ".");
        }
        String id = Ids.chat();
        List<GenerationRequest> requests = new ArrayList<>(opts.n());
        for (int j = 0; j < opts.n(); j++) {
            requests.add(new GenerationRequest(id + "-" + j, prompt, opts.params(maxTokens, j),
                    logprobs ? (top == null ? 0 : top.intValue()) : -1, false));
        }
        ChatResponder.Request req = new ChatResponder.Request(id, model.modelId(), System.currentTimeMillis() / 1000,
                opts.n(), logprobs, opts.includeUsage());
        Generation generation = Generation.start(scheduler, requests);
        try (generation) {  // closing cancels whatever is still running: the client is gone or we failed
            if (opts.stream()) {
                Streaming.write(response, out -> responder.stream(req, generation, out));
                return null;  // written already
            }
            return ApiJson.ok(responder.complete(req, ChoiceResult.collect(generation)));
        }
    }

    /** max_completion_tokens is OpenAI's current name, max_tokens the older one; both may be sent if equal. */
    private static Long maxTokens(Fields f) {
        Long mct = f.integer("max_completion_tokens", 1, Long.MAX_VALUE);
        Long mt = f.integer("max_tokens", 1, Long.MAX_VALUE);
        if (mct != null && mt != null && !mct.equals(mt)) {
            throw ApiException.invalidValue("max_tokens", "'max_tokens' and 'max_completion_tokens' differ; send one of them.");
        }
        return mct != null ? mct : mt;
    }

    private static void rejectUnsupported(Fields f) {
        String noTools = "is not supported: this server has no tool calling.";
        f.onlyDefault("tools", noTools, Fields.EMPTY);
        f.onlyDefault("functions", noTools, Fields.EMPTY);
        f.onlyDefault("tool_choice", noTools, "none");
        f.onlyDefault("function_call", noTools, "none");
        JsonNode rf = f.get("response_format");
        if (rf != null) {
            if (!rf.isObject()) throw ApiException.invalidType("response_format", "an object", rf);
            String type = new Fields(rf, "response_format.").requiredString("type");
            if (!type.equals("text")) {
                throw ApiException.unsupportedValue("response_format.type", "does not support '" + type + "': only 'text' is supported.");
            }
        }
        if (f.has("audio")) throw ApiException.unsupported("audio", "is not supported: this model reads and writes text only.");
        JsonNode modalities = f.get("modalities");
        if (modalities != null && !(modalities.isArray() && modalities.size() == 1 && "text".equals(modalities.get(0).asString()))) {
            throw ApiException.unsupportedValue("modalities", "does not support this value: only [\"text\"] is supported.");
        }
        if (f.has("prediction")) throw ApiException.unsupported("prediction", "is not supported by this server.");
    }

    private int[] render(ModelRuntime model, List<ChatTemplate.Message> messages, boolean addGenerationPrompt) {
        String text;
        try {
            text = model.chatTemplate().render(messages, addGenerationPrompt);
        } catch (IllegalArgumentException e) {
            throw ApiException.invalidValue("messages", e.getMessage());
        }
        int[] ids = model.tokenizer().encode(text);
        if (ids.length == 0) throw ApiException.invalidValue("messages", "the messages make an empty prompt.");
        return ids;
    }
}
