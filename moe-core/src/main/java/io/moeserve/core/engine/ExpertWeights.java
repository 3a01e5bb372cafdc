package io.moeserve.core.engine;

import io.moeserve.core.checkpoint.Checkpoint;
import io.moeserve.core.model.ModelConfig;
import io.moeserve.core.tensor.Matrix;

/** One expert's SwiGLU FFN: w2(silu(w1 x) * w3 x); w1, w3 are [inter, hidden], w2 is [hidden, inter]. */
public record ExpertWeights(int layer, int expert, Matrix w1, Matrix w2, Matrix w3) {

    public static ExpertWeights load(Checkpoint ckpt, int layer, int expert) {
        ModelConfig c = ckpt.config();
        var a = c.architecture();
        int d = c.hiddenSize(), f = c.intermediateSize();
        return new ExpertWeights(layer, expert,
                Matrix.of(ckpt.tensor(a.expert(layer, expert, "w1")).expectShape(f, d)),
                Matrix.of(ckpt.tensor(a.expert(layer, expert, "w2")).expectShape(d, f)),
                Matrix.of(ckpt.tensor(a.expert(layer, expert, "w3")).expectShape(f, d)));
    }

    public ExpertWeights quantizeInt8() {
        return new ExpertWeights(layer, expert, w1.quantizeInt8(), w2.quantizeInt8(), w3.quantizeInt8());
    }

    public long bytes() {
        return w1.bytes() + w2.bytes() + w3.bytes();
    }
}
