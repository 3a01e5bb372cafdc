package io.moeserve.router.model;

import io.moeserve.core.checkpoint.Checkpoint;
import io.moeserve.core.engine.DenseWeights;
import io.moeserve.core.engine.Engine;
import io.moeserve.core.engine.ExpertBackend;
import io.moeserve.core.model.ModelConfig;
import io.moeserve.core.tokenizer.ChatTemplate;
import io.moeserve.core.tokenizer.Tokenizer;

/**
 * The loaded model as the router sees it: the engine (dense weights + an expert backend), the
 * tokenizer and chat template, and the id clients call it by.
 */
public record ModelRuntime(String modelId, Engine engine, Tokenizer tokenizer, ChatTemplate chatTemplate, long createdEpochSeconds) {

    public ModelConfig config() {
        return engine.config();
    }

    public int maxContext() {
        return engine.config().maxPositions();
    }

    public static ModelRuntime create(String modelId, Checkpoint ckpt, ExpertBackend experts) {
        Engine engine = new Engine(ckpt, DenseWeights.load(ckpt), experts);
        return new ModelRuntime(modelId, engine, Tokenizer.load(ckpt.dir()), ChatTemplate.load(ckpt.dir()),
                System.currentTimeMillis() / 1000);
    }
}
