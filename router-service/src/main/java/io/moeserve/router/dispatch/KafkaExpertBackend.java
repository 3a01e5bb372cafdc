package io.moeserve.router.dispatch;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.moeserve.core.engine.ExpertBackend;
import io.moeserve.core.engine.LocalExperts;
import io.moeserve.core.engine.Routing;
import io.moeserve.core.placement.PlacementPlan;
import io.moeserve.core.wire.CombineMessage;
import io.moeserve.core.wire.DispatchMessage;
import io.moeserve.core.wire.Topics;
import io.moeserve.core.wire.WireCodec;
import io.moeserve.core.wire.WireDType;
import io.moeserve.core.wire.WireFormatException;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The experts of the distributed path: a layer's tokens go over Kafka to the expert-service
 * instances the active plan names, one {@link DispatchMessage} per instance, and the partial sums
 * that come back on this router's moe.combine partition are added from zero (plain float adds, in
 * arrival order: with top-2 a token has at most two partials, so the sum is exactly the monolithic
 * engine's). Every message has a deadline; on timeout, STALE_PLAN, ERROR or an open circuit breaker
 * the instance's part goes to a replica holding all its experts, else it is computed here by a
 * router-side {@link LocalExperts} that maps the needed experts on demand, so the answer never
 * changes and never fails because an instance died. Replies for settled parts are dropped.
 * Thread-safe: the scheduler's lanes have layers in flight at the same time.
 */
public final class KafkaExpertBackend implements ExpertBackend, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(KafkaExpertBackend.class);

    /**
     * @param routerId     this router's moe.combine partition
     * @param deadline     how long one instance may take to answer one dispatch before failover
     * @param dtype        how hidden vectors travel (F32 = exact; BF16 halves bytes, results then differ)
     * @param fetchMaxWait fetch.max.wait.ms of the combine consumer
     * @param breaker      the per-instance circuit breaker
     */
    public record Settings(String bootstrapServers, int routerId, Duration deadline, WireDType dtype, Duration fetchMaxWait,
                           Breaker breaker) {
        /** Count-based Resilience4j breaker per instance: opens at failureRatePercent over the last slidingWindow calls. */
        public record Breaker(int slidingWindow, int minimumCalls, float failureRatePercent, Duration openWait) {
            public static Breaker defaults() {
                return new Breaker(10, 3, 50f, Duration.ofSeconds(5));
            }
        }

        public static Settings of(String bootstrapServers, int routerId) {
            return new Settings(bootstrapServers, routerId, Duration.ofSeconds(2), WireDType.F32, Duration.ofMillis(20),
                    Breaker.defaults());
        }

        public Settings withDeadline(Duration d) {
            return new Settings(bootstrapServers, routerId, d, dtype, fetchMaxWait, breaker);
        }

        public Settings withDtype(WireDType t) {
            return new Settings(bootstrapServers, routerId, deadline, t, fetchMaxWait, breaker);
        }
    }

    /** The active plan with what dispatching needs from it precomputed. */
    private record PlanState(PlacementPlan plan, io.moeserve.core.placement.ReplicaSelector selector, String[] ids, int[] partitions) {
        static PlanState of(PlacementPlan plan) {
            var selector = new io.moeserve.core.placement.ReplicaSelector(plan);
            String[] ids = new String[plan.instances().size()];
            int[] parts = new int[ids.length];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = plan.instances().get(i).id();
                parts[i] = plan.instances().get(i).partition();
            }
            return new PlanState(plan, selector, ids, parts);
        }

        boolean holdsAll(int instance, int layer, int[] experts) {
            for (int e : experts) {
                if (e >= 0 && !plan.placement(layer, e).hostedOn(ids[instance])) return false;
            }
            return true;
        }
    }

    private final Settings settings;
    private final LocalExperts fallback;
    private final DispatchMetrics metrics;
    private final CircuitBreakerRegistry breakers;
    private final ConcurrentHashMap<Long, Attempt> pending = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong(System.currentTimeMillis() << 16); // unique across restarts of this router id
    private final ScheduledThreadPoolExecutor timer;
    private final ExecutorService local;
    private final CountDownLatch ready = new CountDownLatch(1);
    private volatile PlanState state;
    private volatile PlacementPlan pendingPlan;
    private volatile boolean running;
    private volatile Throwable consumerFailure;
    private KafkaProducer<byte[], byte[]> producer;
    private KafkaConsumer<byte[], byte[]> consumer;
    private Thread consumerThread;

    public KafkaExpertBackend(Settings settings, PlacementPlan plan, LocalExperts fallback, MeterRegistry registry) {
        this.settings = settings;
        this.fallback = fallback;
        this.metrics = new DispatchMetrics(registry, settings.routerId());
        this.state = PlanState.of(plan.validate());
        metrics.planVersion(() -> state.plan().version());
        Settings.Breaker b = settings.breaker();
        this.breakers = CircuitBreakerRegistry.of(CircuitBreakerConfig.custom()
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(b.slidingWindow()).minimumNumberOfCalls(b.minimumCalls())
                .failureRateThreshold(b.failureRatePercent()).waitDurationInOpenState(b.openWait())
                .permittedNumberOfCallsInHalfOpenState(1).build());
        timer = new ScheduledThreadPoolExecutor(1, daemon("dispatch-deadlines"));
        timer.setRemoveOnCancelPolicy(true);
        local = Executors.newFixedThreadPool(2, daemon("dispatch-local-experts"));
    }

    /** Connects to Kafka and returns once this router's moe.combine partition is being read. */
    public synchronized KafkaExpertBackend start() {
        if (running) return this;
        producer = new KafkaProducer<>(RouterKafkaClients.producer(settings.bootstrapServers(), settings.routerId()));
        consumer = new KafkaConsumer<>(RouterKafkaClients.combineConsumer(settings.bootstrapServers(), settings.routerId(),
                settings.fetchMaxWait().toMillis()));
        running = true;
        consumerThread = new Thread(this::pollReplies, "combine-router-" + settings.routerId());
        consumerThread.setDaemon(true);
        consumerThread.start();
        try {
            if (!ready.await(60, TimeUnit.SECONDS) || consumerFailure != null) {
                running = false;
                throw new IllegalStateException("cannot read moe.combine partition " + settings.routerId() + " at "
                        + settings.bootstrapServers(), consumerFailure);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return this;
    }

    public PlacementPlan plan() {
        return state.plan();
    }

    /**
     * Routes dispatches of later calls by {@code next}. Call it between steps; a step whose layers
     * straddle the switch is still exact (any holder of an expert computes it the same way).
     */
    public void setPlan(PlacementPlan next) {
        next.validate();
        PlacementPlan cur = state.plan();
        if (next.numLayers() != cur.numLayers() || next.numExperts() != cur.numExperts()) {
            throw new IllegalArgumentException("plan v" + next.version() + " is for " + next.numLayers() + " x " + next.numExperts()
                    + " experts, the active plan for " + cur.numLayers() + " x " + cur.numExperts());
        }
        if (next.version() <= cur.version()) return;
        state = PlanState.of(next);
        log.info("router {} dispatches by plan v{}", settings.routerId(), next.version());
    }

    /**
     * Queues {@code next} to become the active plan at the next {@link #stepBoundary()}, so every
     * layer of a step is dispatched under one plan. Called by the plan follower's thread.
     */
    public void offerPlan(PlacementPlan next) {
        pendingPlan = next;
    }

    @Override
    public boolean planSwitchPending() {
        return pendingPlan != null;
    }

    @Override
    public void stepBoundary() {
        PlacementPlan next = pendingPlan;
        if (next == null) return;
        pendingPlan = null;
        try {
            setPlan(next);
        } catch (RuntimeException e) {
            log.error("router {} cannot switch to plan v{}: {}", settings.routerId(), next.version(), e.getMessage());
        }
    }

    public DispatchMetrics metrics() {
        return metrics;
    }

    /** The circuit breaker state of an instance (CLOSED when it has never been called). */
    public CircuitBreaker.State breakerState(String instance) {
        return breakers.circuitBreaker(instance).getState();
    }

    @Override
    public float[] compute(Routing routing) {
        try {
            return computeAsync(routing).join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException re) throw re;
            throw e;
        }
    }

    @Override
    public CompletableFuture<float[]> computeAsync(Routing r) {
        if (!running) return CompletableFuture.failedFuture(new IllegalStateException("Kafka expert backend is not running"));
        PlanState st = state;
        int n = r.n(), k = r.k(), d = r.hiddenSize(), ni = st.ids().length;
        int[] owner = new int[n * k];
        int[] tokensOf = new int[ni];
        int[] selected = new int[k], chosen = new int[k];
        for (int i = 0; i < n; i++) {
            System.arraycopy(r.experts(), i * k, selected, 0, k);
            st.selector().select(r.layer(), selected, k, chosen);
            for (int s = 0; s < k; s++) {
                owner[i * k + s] = chosen[s];
                boolean first = true;
                for (int p = 0; p < s; p++) first &= chosen[p] != chosen[s];
                if (first) tokensOf[chosen[s]]++;
            }
        }
        List<Part> parts = new ArrayList<>();
        Batch batch = new Batch(n * d);
        for (int inst = 0; inst < ni; inst++) {
            if (tokensOf[inst] > 0) parts.add(Part.of(batch, st, r, owner, inst, tokensOf[inst]));
        }
        batch.expect(parts.size());
        long sent = System.nanoTime();
        for (Part p : parts) dispatch(p, p.firstInstance);
        // Straggler time: a layer waits for its slowest instance, which is what placement balances.
        int layer = r.layer();
        return batch.future.whenComplete((out, err) -> {
            if (err == null) metrics.straggler(layer).record(System.nanoTime() - sent, TimeUnit.NANOSECONDS);
        });
    }

    private void dispatch(Part p, int inst) {
        String id = p.st.ids()[inst];
        p.tried.add(inst);
        CircuitBreaker cb = breakers.circuitBreaker(id);
        if (!cb.tryAcquirePermission()) {
            failover(p, id, "breaker_open");
            return;
        }
        long msgId = ids.incrementAndGet();
        int partition = p.st.partitions()[inst];
        byte[] bytes = WireCodec.encode(DispatchMessage.of(p.st.plan().version(), msgId, p.layer, settings.routerId(), partition,
                p.tokens.length, p.d, p.k, settings.dtype(), p.experts, p.weights, p.hidden));
        Attempt a = new Attempt(p, id, cb, System.nanoTime());
        pending.put(msgId, a);
        a.timeout = timer.schedule(() -> settle(msgId, "timeout", new TimeoutException("no reply from " + id + " within "
                + settings.deadline())), settings.deadline().toNanos(), TimeUnit.NANOSECONDS);
        try {
            producer.send(new ProducerRecord<>(Topics.DISPATCH, partition, null, bytes), (md, ex) -> {
                if (ex != null) settle(msgId, "send_failed", ex);
            });
        } catch (RuntimeException e) {
            settle(msgId, "send_failed", e);
        }
    }

    /** An attempt failed (timeout, send error): if it is still pending, fail it over. */
    private void settle(long msgId, String reason, Throwable error) {
        Attempt a = pending.remove(msgId);
        if (a == null) return; // answered meanwhile
        a.cancelTimeout();
        a.breaker.onError(System.nanoTime() - a.sentNanos, TimeUnit.NANOSECONDS, error);
        log.debug("part of batch (layer {}) on {} failed: {}", a.part.layer, a.instance, error.toString());
        failover(a.part, a.instance, reason);
    }

    private void onReply(CombineMessage c) {
        Attempt a = pending.remove(c.batchId());
        if (a == null) {
            metrics.lateReply();
            return;
        }
        a.cancelTimeout();
        long elapsed = System.nanoTime() - a.sentNanos;
        Part p = a.part;
        switch (c.status()) {
            case OK -> {
                if (c.header().tokens() != p.tokens.length || c.header().hiddenSize() != p.d) {
                    a.breaker.onError(elapsed, TimeUnit.NANOSECONDS, new IllegalStateException("reply shape mismatch"));
                    failover(p, a.instance, "bad_reply");
                    return;
                }
                a.breaker.onSuccess(elapsed, TimeUnit.NANOSECONDS);
                metrics.rtt(a.instance).record(elapsed, TimeUnit.NANOSECONDS);
                p.batch.add(p, c.vectors());
            }
            case STALE_PLAN -> { // the instance is healthy, our plan is not its plan
                a.breaker.onSuccess(elapsed, TimeUnit.NANOSECONDS);
                log.info("instance {} does not hold {} (plan v{}): failing over", a.instance, c.notHeld(), p.st.plan().version());
                failover(p, a.instance, "stale_plan");
            }
            case ERROR -> {
                a.breaker.onError(elapsed, TimeUnit.NANOSECONDS, new IllegalStateException(c.error()));
                log.warn("instance {} answered ERROR: {}", a.instance, c.error());
                failover(p, a.instance, "error");
            }
        }
    }

    /** To a replica holding all of the part's experts that was not tried yet and whose breaker is not open; else local. */
    private void failover(Part p, String from, String reason) {
        if (!running) {
            p.batch.fail(new IllegalStateException("Kafka expert backend closed"));
            return;
        }
        PlanState st = p.st;
        for (int c = 0; c < st.ids().length; c++) {
            if (p.tried.contains(c) || !st.holdsAll(c, p.layer, p.experts)) continue;
            if (breakers.circuitBreaker(st.ids()[c]).getState() == CircuitBreaker.State.OPEN) continue;
            metrics.failover(from, reason, "replica");
            dispatch(p, c);
            return;
        }
        metrics.failover(from, reason, "local");
        local.execute(() -> {
            try {
                for (int e : p.experts) if (e >= 0) fallback.ensure(p.layer, e);
                p.batch.add(p, fallback.compute(p.layer, p.hidden, p.tokens.length, p.k, p.experts, p.weights));
            } catch (RuntimeException | Error e) {
                p.batch.fail(e);
            }
        });
    }

    private void pollReplies() {
        TopicPartition tp = new TopicPartition(Topics.COMBINE, settings.routerId());
        try {
            consumer.assign(Set.of(tp));
            consumer.seekToEnd(Set.of(tp));
            consumer.position(tp, Duration.ofSeconds(30));
        } catch (RuntimeException e) {
            consumerFailure = e;
            ready.countDown();
            consumer.close(Duration.ofSeconds(1));
            return;
        }
        ready.countDown();
        try {
            while (running) {
                for (ConsumerRecord<byte[], byte[]> rec : consumer.poll(Duration.ofMillis(10))) {
                    CombineMessage c;
                    try {
                        c = WireCodec.decodeCombine(rec.value());
                    } catch (WireFormatException e) {
                        metrics.rejected(e.reason().label());
                        log.warn("rejected {} offset {}: {}", tp, rec.offset(), e.getMessage());
                        continue;
                    }
                    try {
                        onReply(c);
                    } catch (RuntimeException e) {
                        log.error("handling reply {} failed", c.batchId(), e);
                    }
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (RuntimeException | Error e) {
            consumerFailure = e;
            log.error("combine consumer of router {} stopped", settings.routerId(), e);
        } finally {
            consumer.close(Duration.ofSeconds(1));
        }
    }

    @Override
    public void close() {
        if (!running) return;
        running = false;
        consumer.wakeup();
        try {
            consumerThread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        producer.close(Duration.ofSeconds(2));
        timer.shutdownNow();
        local.shutdown();
        for (Long id : Set.copyOf(pending.keySet())) {
            Attempt a = pending.remove(id);
            if (a != null) a.part.batch.fail(new IllegalStateException("Kafka expert backend closed"));
        }
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    /** The layer output being summed: one partial per part, added into token rows from zero. */
    private static final class Batch {
        final float[] out;
        final CompletableFuture<float[]> future = new CompletableFuture<>();
        private int remaining;

        Batch(int size) {
            out = new float[size];
        }

        synchronized void expect(int parts) {
            remaining = parts;
            if (parts == 0) future.complete(out);
        }

        synchronized void add(Part p, float[] partial) {
            if (future.isDone()) return;
            int d = p.d;
            for (int j = 0; j < p.tokens.length; j++) {
                int o = p.tokens[j] * d, q = j * d;
                for (int x = 0; x < d; x++) out[o + x] += partial[q + x];
            }
            if (--remaining == 0) future.complete(out);
        }

        void fail(Throwable t) {
            future.completeExceptionally(t);
        }
    }

    /** The tokens of a batch that one instance computes, with their slots (-1 = another instance's). */
    private static final class Part {
        final Batch batch;
        final PlanState st;
        final int layer, k, d, firstInstance;
        final int[] tokens, experts;
        final float[] weights, hidden;
        final Set<Integer> tried = ConcurrentHashMap.newKeySet();

        private Part(Batch batch, PlanState st, int layer, int k, int d, int firstInstance, int[] tokens, int[] experts,
                     float[] weights, float[] hidden) {
            this.batch = batch;
            this.st = st;
            this.layer = layer;
            this.k = k;
            this.d = d;
            this.firstInstance = firstInstance;
            this.tokens = tokens;
            this.experts = experts;
            this.weights = weights;
            this.hidden = hidden;
        }

        static Part of(Batch batch, PlanState st, Routing r, int[] owner, int inst, int m) {
            int k = r.k(), d = r.hiddenSize();
            int[] tokens = new int[m], experts = new int[m * k];
            float[] weights = new float[m * k], hidden = new float[m * d];
            int j = 0;
            for (int i = 0; i < r.n() && j < m; i++) {
                boolean mine = false;
                for (int s = 0; s < k; s++) mine |= owner[i * k + s] == inst;
                if (!mine) continue;
                tokens[j] = i;
                for (int s = 0; s < k; s++) {
                    experts[j * k + s] = owner[i * k + s] == inst ? r.expert(i, s) : -1;
                    weights[j * k + s] = r.weight(i, s);
                }
                System.arraycopy(r.hidden(), i * d, hidden, j * d, d);
                j++;
            }
            return new Part(batch, st, r.layer(), k, d, inst, tokens, experts, weights, hidden);
        }
    }

    /** One send of a part to one instance, pending until its reply, its deadline or a send error. */
    private static final class Attempt {
        final Part part;
        final String instance;
        final CircuitBreaker breaker;
        final long sentNanos;
        volatile java.util.concurrent.ScheduledFuture<?> timeout;

        Attempt(Part part, String instance, CircuitBreaker breaker, long sentNanos) {
            this.part = part;
            this.instance = instance;
            this.breaker = breaker;
            this.sentNanos = sentNanos;
        }

        void cancelTimeout() {
            var t = timeout;
            if (t != null) t.cancel(false);
        }
    }
}
