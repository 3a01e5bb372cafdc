package io.moeserve.router.api;

import io.moeserve.core.tokenizer.Tokenizer;
import tools.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;

/**
 * Prompts as token ids: the forms OpenAI's {@code prompt} takes, and the context-length rule every
 * generation request obeys (prompt + max_tokens must fit; never truncated).
 */
final class Prompts {
    /** One prompt: its ids and its text (what echo prepends). */
    record Prompt(int[] ids, String text) {
    }

    private Prompts() {
    }

    /** {@code prompt}: a string, an array of strings, an array of token ids, or an array of token-id arrays. */
    static List<Prompt> parse(JsonNode v, ServedModels models) {
        if (v == null) throw ApiException.missing("prompt");
        Tokenizer tok = models.tokenizer();
        List<Prompt> out = new ArrayList<>();
        if (v.isString()) {
            out.add(text(v.stringValue(), tok, "prompt"));
        } else if (v.isArray() && !v.isEmpty() && v.get(0).isNumber()) {
            out.add(ids(v, models, "prompt"));
        } else if (v.isArray() && !v.isEmpty()) {
            for (int i = 0; i < v.size(); i++) {
                JsonNode e = v.get(i);
                String param = "prompt[" + i + "]";
                if (e.isString()) out.add(text(e.stringValue(), tok, param));
                else if (e.isArray()) out.add(ids(e, models, param));
                else throw ApiException.invalidType(param, "a string or an array of token ids", e);
            }
        } else if (v.isArray()) {
            throw ApiException.invalidValue("prompt", "the prompt must not be empty.");
        } else {
            throw ApiException.invalidType("prompt", "a string, an array of strings or an array of token ids", v);
        }
        return out;
    }

    static Prompt text(String s, Tokenizer tok, String param) {
        int[] ids = tok.encode(s);
        if (ids.length == 0) throw ApiException.invalidValue(param, "the prompt must not be empty.");
        return new Prompt(ids, s);
    }

    static Prompt ids(JsonNode array, ServedModels models, String param) {
        int[] ids = tokenIds(array, models, param);
        if (ids.length == 0) throw ApiException.invalidValue(param, "the prompt must not be empty.");
        return new Prompt(ids, models.tokenizer().decode(ids));
    }

    /** An array of token ids, each in [0, vocab). */
    static int[] tokenIds(JsonNode array, ServedModels models, String param) {
        if (!array.isArray()) throw ApiException.invalidType(param, "an array of token ids", array);
        int[] ids = new int[array.size()];
        int vocab = models.vocabSize();
        for (int i = 0; i < ids.length; i++) {
            ids[i] = (int) Fields.integerValue(array.get(i), param + "[" + i + "]", 0, vocab - 1);
        }
        return ids;
    }

    /**
     * max_tokens for a prompt: the requested value if prompt + it fit the context (else 400 with
     * vLLM's message), or the default cut to what is left of the context.
     */
    static int maxTokens(int promptTokens, Long requested, int dflt, int context, String promptParam) {
        if (requested != null) {
            if (promptTokens + requested > context) throw ApiException.contextLength(context, promptTokens, requested, promptParam);
            return requested.intValue();
        }
        int room = context - promptTokens;
        if (room < 1) throw ApiException.contextLength(context, promptTokens, 1, promptParam);
        return Math.min(dflt, room);
    }
}
