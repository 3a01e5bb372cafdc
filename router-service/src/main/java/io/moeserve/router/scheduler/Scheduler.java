package io.moeserve.router.scheduler;

import io.moeserve.core.engine.ContextLengthException;
import io.moeserve.core.engine.ExpertBackend;
import io.moeserve.core.engine.KvCache;
import io.moeserve.core.engine.SeqInput;
import io.moeserve.core.generate.FinishReason;
import io.moeserve.core.sampling.Sampler;
import io.moeserve.core.tokenizer.TextStream;
import io.moeserve.router.config.RouterProperties;
import io.moeserve.router.model.ModelRuntime;
import io.moeserve.router.prefix.PrefixCache;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Continuous batching: one thread runs steps forever. Between a lane's steps, its finished and
 * cancelled sequences leave and queued ones join (up to maxRunning over all lanes). A step decodes
 * one token for every sequence past its prompt and spends the rest of the step's token budget on
 * prompt chunks (chunked prefill), so a long prompt never stalls the others' decoding. With remote
 * experts the sequences are split over two {@link Lane}s whose steps overlap. The admission queue is
 * bounded: when it is full, submit refuses with {@link OverloadedException} instead of growing memory.
 */
public final class Scheduler implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Scheduler.class);

    private final ModelRuntime model;
    private final RouterProperties props;
    private final ExpertBackend experts;
    private final SchedulerMetrics metrics;
    private final PrefixCache prefixCache;
    private final BlockingQueue<Sequence> waiting;
    private final BlockingQueue<Lane> ready = new LinkedBlockingQueue<>();
    private final List<Lane> lanes = new ArrayList<>();
    private final Thread thread;
    private volatile boolean stopped;

    public Scheduler(ModelRuntime model, RouterProperties props, int lanes, SchedulerMetrics metrics) {
        this(model, props, lanes, metrics, null);
    }

    /** lanes: 1, or 2 to overlap one lane's round trips to the experts with the other's compute; prefixCache may be null. */
    public Scheduler(ModelRuntime model, RouterProperties props, int lanes, SchedulerMetrics metrics,
                     PrefixCache prefixCache) {
        if (lanes < 1) throw new IllegalArgumentException("lanes must be at least 1, got " + lanes);
        this.model = model;
        this.prefixCache = prefixCache;
        this.props = props;
        this.experts = model.engine().experts();
        this.metrics = metrics;
        for (int i = 0; i < lanes; i++) this.lanes.add(new Lane(model.engine(), ready));
        this.waiting = new ArrayBlockingQueue<>(props.queueCapacity());
        metrics.bindQueues(waiting::size, this::runningCount);
        this.thread = Thread.ofPlatform().name("moe-scheduler").daemon().unstarted(this::loop);
        thread.start();
    }

    /** Queues a request; refuses when the queue is full. The prompt must already fit the context. */
    public GenerationHandle submit(GenerationRequest req, TokenSink sink) {
        if (stopped) throw new OverloadedException("the router is shutting down", 1);
        int[] prompt = req.prompt();
        if (prompt.length == 0) throw new IllegalArgumentException("the prompt is empty");
        if (prompt.length > model.maxContext()) throw new ContextLengthException(prompt.length, model.maxContext());
        KvCache cache = new KvCache(model.config(), prompt.length + Math.min(req.params().maxTokens(), 64));
        Sequence seq = new Sequence(req, sink, cache, new Sampler(req.params()),
                new TextStream(model.tokenizer(), req.params().stop()));
        if (waiting.remainingCapacity() == 0) throw overloaded();
        if (prefixCache != null && !req.promptLogprobs()) {
            // Fetched here, on the request's thread, so the scheduler never waits on the network.
            seq.prefilled = seq.cachedTokens = prefixCache.restore(prompt, cache);
        }
        if (!waiting.offer(seq)) throw overloaded();
        return seq;
    }

    private OverloadedException overloaded() {
        metrics.rejected();
        return new OverloadedException("the server is overloaded: " + props.queueCapacity()
                + " requests are already waiting", 1);
    }

    public int runningCount() {
        int n = 0;
        for (Lane l : lanes) n += l.members.size();
        return n;
    }

    public int waitingCount() {
        return waiting.size();
    }

    private void loop() {
        while (!stopped) {
            try {
                admit();
                startIdleLanes();
                if (!anyBusy()) {
                    Sequence s = waiting.poll(100, TimeUnit.MILLISECONDS);
                    if (s != null) admitOne(s);
                    continue;
                }
                Lane lane = ready.poll(100, TimeUnit.MILLISECONDS);
                if (lane != null && lane.busy() && lane.hasResult()) advance(lane);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        for (Lane l : lanes) {
            l.abandon();
            for (Sequence s : l.members) s.fail(new OverloadedException("the router stopped", 1));
            l.members.clear();
        }
        Sequence s;
        while ((s = waiting.poll()) != null) s.fail(new OverloadedException("the router stopped", 1));
    }

    private void admit() {
        while (runningCount() < props.maxRunning()) {
            Sequence s = waiting.poll();
            if (s == null) return;
            admitOne(s);
        }
    }

    private void admitOne(Sequence s) {
        if (s.cancelled) {
            s.done = true;
            return;
        }
        s.admittedNanos = System.nanoTime();
        metrics.queueTime(s.admittedNanos - s.submittedNanos);
        Lane smallest = lanes.getFirst();
        for (Lane l : lanes) if (l.members.size() < smallest.members.size()) smallest = l;
        smallest.members.add(s);
    }

    /**
     * Starts a step in every idle lane that has work. A new placement plan takes over only while no
     * step is in flight, so when one is waiting no new step starts until the lanes drain.
     */
    private void startIdleLanes() {
        if (!anyBusy()) experts.stepBoundary();
        else if (experts.planSwitchPending()) return;
        for (Lane lane : lanes) {
            if (lane.busy()) continue;
            rebalance(lane);
            try {
                startStep(lane);
            } catch (RuntimeException | Error e) {
                fail(lane, e);
            }
        }
    }

    private boolean anyBusy() {
        for (Lane l : lanes) if (l.busy()) return true;
        return false;
    }

    /** Moves sequences from an idle lane to a lighter one, so finished requests do not leave one lane crowded. */
    private void rebalance(Lane from) {
        for (Lane to : lanes) {
            while (to != from && from.members.size() > to.members.size() + 1) {
                to.members.add(from.members.removeLast());
            }
        }
    }

    /** Builds one step of a lane from its sequences and sends its first layer out. */
    private void startStep(Lane lane) {
        lane.members.removeIf(s -> {
            if (s.cancelled) s.done = true;
            return s.cancelled;
        });
        List<SeqInput> inputs = new ArrayList<>();
        List<Sequence> owners = new ArrayList<>();
        int budget = props.maxStepTokens();
        for (Sequence s : lane.members) {
            if (!s.prefilling()) {
                inputs.add(new SeqInput(s.cache, new int[]{s.lastToken}));
                owners.add(s);
                budget--;
            }
        }
        for (Sequence s : lane.members) {
            if (s.prefilling() && budget > 0) {
                int[] prompt = s.request.prompt();
                int n = Math.min(prompt.length - s.prefilled, budget);
                int[] chunk = java.util.Arrays.copyOfRange(prompt, s.prefilled, s.prefilled + n);
                inputs.add(new SeqInput(s.cache, chunk, s.request.promptLogprobs()));
                owners.add(s);
                budget -= n;
            }
        }
        if (!inputs.isEmpty()) lane.start(inputs, owners);
    }

    /** Moves a lane's step one layer on; after its last layer, hands out the sampled tokens. */
    private void advance(Lane lane) {
        float[][] logits;
        try {
            logits = lane.advance();
        } catch (RuntimeException | Error e) {
            fail(lane, e);
            return;
        }
        if (logits == null) return;
        List<SeqInput> inputs = lane.inputs();
        List<Sequence> owners = lane.owners();
        metrics.step(System.nanoTime() - lane.startedNanos(), inputs.size());
        try {
            finishStep(inputs, owners, logits);
        } catch (RuntimeException | Error e) {
            fail(lane, e);
            return;
        }
        lane.members.removeIf(s -> s.done);
    }

    private void fail(Lane lane, Throwable e) {
        log.error("step failed; failing the {} sequences of its lane", lane.members.size(), e);
        RuntimeException err = e instanceof RuntimeException re ? re : new IllegalStateException(e);
        lane.abandon();
        for (Sequence s : lane.members) s.fail(err);
        lane.members.clear();
    }

    private void finishStep(List<SeqInput> inputs, List<Sequence> owners, float[][] logits) {
        for (int i = 0; i < owners.size(); i++) {
            Sequence s = owners.get(i);
            if (s.prefilling()) {
                int n = inputs.get(i).tokens().length;
                if (s.request.promptLogprobs()) recordPromptLogprobs(s, logits[i], n);
                s.prefilled += n;
                metrics.promptTokens(n);
                if (s.prefilling()) continue;
                if (prefixCache != null) prefixCache.storeAsync(s.request.prompt(), s.cache, s.cachedTokens);
                if (s.request.promptLogprobs()) {
                    s.sink.onPromptLogprobs(s.promptLogprobs, null);
                }
                float[] last = s.request.promptLogprobs()
                        ? java.util.Arrays.copyOfRange(logits[i], (n - 1) * model.config().vocabSize(), n * model.config().vocabSize())
                        : logits[i];
                emit(s, last);
            } else {
                emit(s, logits[i]);
            }
        }
    }

    private void recordPromptLogprobs(Sequence s, float[] rows, int n) {
        int vocab = model.config().vocabSize();
        int[] prompt = s.request.prompt();
        if (s.promptLogprobs == null) {
            s.promptLogprobs = new float[prompt.length];
            s.promptLogprobs[0] = Float.NaN;
        }
        // Row j of this chunk predicts prompt token prefilled + j + 1.
        for (int j = 0; j < n; j++) {
            int target = s.prefilled + j + 1;
            if (target >= prompt.length) break;
            float[] row = java.util.Arrays.copyOfRange(rows, j * vocab, (j + 1) * vocab);
            s.promptLogprobs[target] = Sampler.logProb(row, prompt[target]);
        }
    }

    private void emit(Sequence s, float[] logits) {
        int token = s.sampler.next(logits);
        long now = System.nanoTime();
        if (!s.request.params().ignoreEos() && model.config().eosTokenIds().contains(token)) {
            finish(s, FinishReason.STOP, now);
            return;
        }
        s.generated++;
        metrics.generationToken();
        if (s.firstTokenNanos == 0) {
            s.firstTokenNanos = now;
            metrics.timeToFirstToken(now - s.submittedNanos);
        } else {
            metrics.interTokenLatency(now - s.lastTokenNanos);
        }
        s.lastTokenNanos = now;
        float logprob = s.request.topLogprobs() >= 0 ? Sampler.logProb(logits, token) : Float.NaN;
        List<TokenSink.TopLogprob> top = s.request.topLogprobs() > 0 ? topLogprobs(logits, s.request.topLogprobs()) : List.of();
        String delta = s.text.add(token);
        s.sink.onToken(new TokenSink.Token(token, delta, logprob, top));
        s.lastToken = token;
        if (s.text.stopped()) {
            finish(s, FinishReason.STOP, now);
        } else if (s.generated >= s.request.params().maxTokens() || s.cache.length() + 1 > model.maxContext()) {
            finish(s, FinishReason.LENGTH, now);
        }
    }

    private void finish(Sequence s, FinishReason reason, long now) {
        metrics.e2e(now - s.submittedNanos);
        s.finish(reason);
    }

    static List<TokenSink.TopLogprob> topLogprobs(float[] logits, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (float l : logits) max = Math.max(max, l);
        double sum = 0;
        for (float l : logits) sum += Math.exp(l - max);
        float lse = (float) (max + Math.log(sum));
        int[] best = new int[Math.min(n, logits.length)];
        java.util.Arrays.fill(best, -1);
        for (int i = 0; i < logits.length; i++) {
            for (int j = 0; j < best.length; j++) {
                if (best[j] < 0 || logits[i] > logits[best[j]]) {
                    System.arraycopy(best, j, best, j + 1, best.length - j - 1);
                    best[j] = i;
                    break;
                }
            }
        }
        List<TokenSink.TopLogprob> out = new ArrayList<>(best.length);
        for (int b : best) out.add(new TokenSink.TopLogprob(b, logits[b] - lse));
        return out;
    }

    @Override
    public void close() {
        stopped = true;
        thread.interrupt();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
