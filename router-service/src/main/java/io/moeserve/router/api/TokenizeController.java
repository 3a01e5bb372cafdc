package io.moeserve.router.api;

import io.moeserve.router.model.ModelRuntime;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;

import java.io.IOException;

/**
 * vLLM's {@code POST /tokenize} (a prompt, or chat messages through the chat template) and
 * {@code POST /detokenize}. {@code model} may be left out (there is one); if given it must exist.
 */
@RestController
public class TokenizeController {
    record Tokens(int[] tokens, int count, int maxModelLen) {
    }

    record Text(String prompt) {
    }

    private final ServedModels models;
    private final JsonBody jsonBody;

    public TokenizeController(ServedModels models, JsonBody jsonBody) {
        this.models = models;
        this.jsonBody = jsonBody;
    }

    @PostMapping("/tokenize")
    public ResponseEntity<byte[]> tokenize(HttpServletRequest http) throws IOException {
        Fields f = Fields.of(jsonBody.read(http));
        ModelRuntime model = model(f);
        boolean hasPrompt = f.has("prompt"), hasMessages = f.has("messages");
        if (hasPrompt == hasMessages) {
            throw ApiException.badRequest("Give either 'prompt' or 'messages'.", hasPrompt ? "messages" : "prompt",
                    hasPrompt ? ApiException.INVALID_VALUE : ApiException.MISSING);
        }
        String text = hasPrompt ? f.string("prompt")
                : model.chatTemplate().render(ChatMessages.parse(f.get("messages")), f.bool("add_generation_prompt", true));
        int[] ids = model.tokenizer().encode(text);
        return ApiJson.ok(new Tokens(ids, ids.length, model.maxContext()));
    }

    @PostMapping("/detokenize")
    public ResponseEntity<byte[]> detokenize(HttpServletRequest http) throws IOException {
        Fields f = Fields.of(jsonBody.read(http));
        ModelRuntime model = model(f);
        if (!f.has("tokens")) throw ApiException.missing("tokens");
        int[] ids = Prompts.tokenIds(f.get("tokens"), models, "tokens");
        return ApiJson.ok(new Text(model.tokenizer().decode(ids)));
    }

    private ModelRuntime model(Fields f) {
        String id = f.string("model");
        return id == null ? models.all().getFirst() : models.require(id);
    }
}
