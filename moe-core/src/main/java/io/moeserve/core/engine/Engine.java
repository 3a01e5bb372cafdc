package io.moeserve.core.engine;

import io.moeserve.core.checkpoint.Checkpoint;
import io.moeserve.core.model.ModelConfig;

import java.nio.file.Path;
import java.util.List;

/**
 * The single-process ("monolithic") engine: dense weights plus an {@link ExpertBackend}. With
 * {@link LocalExperts#all} it is the reference the distributed path is checked against; the router
 * runs the same {@link ForwardPass} with a Kafka backend.
 */
public final class Engine implements AutoCloseable {
    private final Checkpoint checkpoint;
    private final DenseWeights dense;
    private final Rope rope;
    private final ExpertBackend experts;

    public Engine(Checkpoint checkpoint, DenseWeights dense, ExpertBackend experts) {
        this.checkpoint = checkpoint;
        this.dense = dense;
        this.rope = new Rope(dense.config());
        this.experts = experts;
    }

    /** Loads a model directory with every expert local. */
    public static Engine load(Path modelDir, boolean int8Experts) {
        Checkpoint ckpt = Checkpoint.open(modelDir);
        try {
            return new Engine(ckpt, DenseWeights.load(ckpt), LocalExperts.all(ckpt, int8Experts));
        } catch (RuntimeException e) {
            ckpt.close();
            throw e;
        }
    }

    public static Engine load(Path modelDir) {
        return load(modelDir, false);
    }

    public ModelConfig config() {
        return dense.config();
    }

    public Checkpoint checkpoint() {
        return checkpoint;
    }

    public DenseWeights dense() {
        return dense;
    }

    public ExpertBackend experts() {
        return experts;
    }

    public KvCache newCache() {
        return new KvCache(config());
    }

    /** Starts a step whose layers the caller drives (the router's scheduler). */
    public ForwardPass begin(List<SeqInput> inputs) {
        return new ForwardPass(dense, rope, inputs);
    }

    /** Runs a whole step with this engine's experts and returns each sequence's logits. */
    public float[][] forward(List<SeqInput> inputs) {
        return run(begin(inputs)).logits();
    }

    /** Runs every layer of a started pass with this engine's experts. */
    public ForwardPass run(ForwardPass pass) {
        for (int l = 0; l < config().numLayers(); l++) pass.combine(l, experts.compute(pass.attend(l)));
        return pass;
    }

    @Override
    public void close() {
        checkpoint.close();
    }
}
