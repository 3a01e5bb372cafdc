package io.moeserve.router.api;

import io.moeserve.core.tokenizer.Tokenizer;
import io.moeserve.router.model.ModelRuntime;
import org.springframework.stereotype.Component;

import java.util.List;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The models this router serves (one: the loaded {@link ModelRuntime}) looked up by the id in a
 * request's {@code model}, and per-token strings for logprobs, cached since every logprobs entry
 * needs several.
 */
@Component
public class ServedModels {
    private final ModelRuntime model;
    private final AtomicReferenceArray<String> tokenTexts;

    public ServedModels(ModelRuntime model) {
        this.model = model;
        this.tokenTexts = new AtomicReferenceArray<>(model.config().vocabSize());
    }

    List<ModelRuntime> all() {
        return List.of(model);
    }

    /** The model called {@code id}, or 404 model_not_found. */
    ModelRuntime require(String id) {
        if (!model.modelId().equals(id)) throw ApiException.modelNotFound(id);
        return model;
    }

    String tokenText(int id) {
        if (id < 0 || id >= tokenTexts.length()) return "";
        String s = tokenTexts.get(id);
        if (s == null) {
            s = tokenizer().tokenText(id);
            tokenTexts.set(id, s);
        }
        return s;
    }

    Tokenizer tokenizer() {
        return model.tokenizer();
    }

    int vocabSize() {
        return model.config().vocabSize();
    }
}
