package io.moeserve.router.scheduler;

import io.moeserve.core.engine.Engine;
import io.moeserve.core.engine.ExpertBackend;
import io.moeserve.core.engine.ForwardPass;
import io.moeserve.core.engine.SeqInput;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * A group of sequences that take their steps together, and the one step of theirs in flight. With
 * remote experts the router runs two lanes on one thread: while one lane's tokens of a layer are at
 * the expert services, the other lane runs attention, its LM head or its sampling, so the round trip
 * over Kafka is hidden behind useful work instead of stalling a whole batch. Unlike two micro-batches
 * of one step, lanes are not joined at the end of a step: a lane starts its next step as soon as its
 * own tokens are sampled. A sequence belongs to one lane at a time (its KV cache is written by one
 * pass at a time), and each row's arithmetic is independent of the rows beside it, so the tokens are
 * the same as in any other batching.
 */
final class Lane {
    /** Sequences stepping in this lane (the scheduler adds and removes them while the lane is idle). */
    final List<Sequence> members = new ArrayList<>();
    private final Engine engine;
    private final ExpertBackend experts;
    private final BlockingQueue<Lane> ready;
    private ForwardPass pass;
    private List<Sequence> owners;
    private List<SeqInput> inputs;
    private int layer;
    private long startedNanos;
    private CompletableFuture<float[]> pending;

    /** ready receives this lane whenever its layer's expert output has arrived (or failed). */
    Lane(Engine engine, BlockingQueue<Lane> ready) {
        this.engine = engine;
        this.experts = engine.experts();
        this.ready = ready;
    }

    boolean busy() {
        return pass != null;
    }

    /** True when the layer in flight has its expert output (a stale wake-up of an abandoned step is not). */
    boolean hasResult() {
        return pending != null && pending.isDone();
    }

    /** Starts a step over inputs (owners.get(i) owns inputs.get(i)) and sends layer 0's tokens out. */
    void start(List<SeqInput> inputs, List<Sequence> owners) {
        this.inputs = inputs;
        this.owners = owners;
        this.startedNanos = System.nanoTime();
        this.layer = 0;
        this.pass = engine.begin(inputs);
        dispatch();
    }

    /**
     * Takes the layer output that arrived, runs the next layer's attention and sends it out; after the
     * last layer returns the step's logits (one array per input) and the lane is idle again, else null.
     */
    float[][] advance() {
        float[] moe;
        try {
            moe = pending.join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException re ? re : e;
        }
        pass.combine(layer, moe);
        if (++layer < engine.config().numLayers()) {
            dispatch();
            return null;
        }
        float[][] logits = pass.logits();
        pass = null;
        pending = null;
        return logits;
    }

    private void dispatch() {
        CompletableFuture<float[]> f;
        try {
            f = experts.computeAsync(pass.attend(layer));
        } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
        }
        pending = f;
        f.whenComplete((r, e) -> ready.add(this));
    }

    /** Forgets the step in flight (after a failure); its late expert output is ignored. */
    void abandon() {
        if (pending != null) pending.cancel(false);
        pass = null;
        pending = null;
    }

    List<SeqInput> inputs() {
        return inputs;
    }

    List<Sequence> owners() {
        return owners;
    }

    long startedNanos() {
        return startedNanos;
    }
}
