package io.moeserve.router.scheduler;

import io.moeserve.core.engine.Engine;
import io.moeserve.core.engine.ExpertBackend;
import io.moeserve.core.engine.ForwardPass;
import io.moeserve.core.engine.SeqInput;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Runs one scheduler step through the engine. With remote experts the step is cut into two
 * micro-batches that alternate: while micro-batch A's tokens are at the experts, B runs its attention,
 * and the other way round, so the router's CPU and the expert services work at the same time
 * (ping-pong). Each row's result does not depend on which micro-batch it is in, so tokens are the same.
 */
public final class StepRunner {
    private final Engine engine;
    private final ExpertBackend experts;
    private final boolean pingPong;

    public StepRunner(Engine engine, boolean pingPong) {
        this.engine = engine;
        this.experts = engine.experts();
        this.pingPong = pingPong;
    }

    public float[][] run(List<SeqInput> inputs) {
        experts.stepBoundary(); // nothing of this runner is in flight: a new placement plan may take over here
        if (!pingPong || inputs.size() < 2) return engine.forward(inputs);
        int total = inputs.stream().mapToInt(i -> i.tokens().length).sum();
        int split = 0, acc = 0;
        while (split < inputs.size() - 1 && acc + inputs.get(split).tokens().length <= total / 2) {
            acc += inputs.get(split++).tokens().length;
        }
        if (split == 0) split = 1;
        ForwardPass a = engine.begin(new ArrayList<>(inputs.subList(0, split)));
        ForwardPass b = engine.begin(new ArrayList<>(inputs.subList(split, inputs.size())));
        int layers = engine.config().numLayers();
        CompletableFuture<float[]> fa = experts.computeAsync(a.attend(0));
        CompletableFuture<float[]> fb = experts.computeAsync(b.attend(0));
        try {
            for (int l = 0; l < layers; l++) {
                a.combine(l, fa.join());
                if (l + 1 < layers) fa = experts.computeAsync(a.attend(l + 1));
                b.combine(l, fb.join());
                if (l + 1 < layers) fb = experts.computeAsync(b.attend(l + 1));
            }
        } catch (CompletionException e) {
            fa.cancel(false);
            fb.cancel(false);
            throw e.getCause() instanceof RuntimeException re ? re : e;
        }
        float[][] la = a.logits(), lb = b.logits();
        float[][] out = new float[inputs.size()][];
        System.arraycopy(la, 0, out, 0, la.length);
        System.arraycopy(lb, 0, out, la.length, lb.length);
        return out;
    }
}
