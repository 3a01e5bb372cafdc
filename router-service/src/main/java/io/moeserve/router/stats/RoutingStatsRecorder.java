package io.moeserve.router.stats;

import io.moeserve.core.engine.ExpertBackend;
import io.moeserve.core.engine.Routing;
import io.moeserve.core.wire.RoutingStatsMessage;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Counts what the gates decide, for the planner (DESIGN.md §5): per window, token choices per
 * (layer, expert), co-activated pairs within a layer, and layer-to-layer transitions of the same
 * token. It sits in front of the expert backend, so it sees every routed token of every step.
 *
 * <p>Transitions pair a layer's routing with the next layer's routing of the same step: each of the
 * scheduler's lanes dispatches its layers in order and the lanes' steps interleave, so the oldest
 * unpaired routing of layer l with the same token count is the one layer l+1 continues (should two
 * lanes of equal size fall a whole layer out of phase, one step's transitions may be paired across
 * lanes: a statistic, never a token, is affected). At most {@link #MAX_UNPAIRED} routings wait per
 * layer, so a step that failed half-way is forgotten.
 * Pair counts are kept sparse (a 256-expert layer has 32,640 possible pairs).
 */
public final class RoutingStatsRecorder implements ExpertBackend {
    static final int MAX_UNPAIRED = 8;
    private final ExpertBackend delegate;
    private final int routerId;
    private final int layers;
    private final int experts;
    private final int topK;
    private final List<ArrayDeque<int[]>> unpaired = new ArrayList<>();
    private long window;
    private long startMillis = System.currentTimeMillis();
    private long tokens;
    private long[][] load;
    private Map<Long, long[]> coact = new HashMap<>();
    private Map<Long, long[]> transitions = new HashMap<>();

    public RoutingStatsRecorder(ExpertBackend delegate, int routerId, int layers, int experts, int topK) {
        this.delegate = delegate;
        this.routerId = routerId;
        this.layers = layers;
        this.experts = experts;
        this.topK = topK;
        this.load = new long[layers][experts];
        for (int l = 0; l < layers; l++) unpaired.add(new ArrayDeque<>());
    }

    @Override
    public float[] compute(Routing routing) {
        record(routing);
        return delegate.compute(routing);
    }

    @Override
    public CompletableFuture<float[]> computeAsync(Routing routing) {
        record(routing);
        return delegate.computeAsync(routing);
    }

    @Override
    public synchronized void stepBoundary() {
        for (ArrayDeque<int[]> q : unpaired) q.clear(); // nothing is in flight: no routing waits for its next layer
        delegate.stepBoundary();
    }

    @Override
    public boolean planSwitchPending() {
        return delegate.planSwitchPending();
    }

    public ExpertBackend delegate() {
        return delegate;
    }

    synchronized void record(Routing r) {
        int l = r.layer();
        int k = r.k();
        int[] ex = r.experts();
        if (l == 0) tokens += r.n();
        for (int t = 0; t < r.n(); t++) {
            for (int i = 0; i < k; i++) {
                int a = ex[t * k + i];
                if (a < 0) continue;
                load[l][a]++;
                for (int j = i + 1; j < k; j++) {
                    int b = ex[t * k + j];
                    if (b >= 0) count(coact, l, Math.min(a, b), Math.max(a, b));
                }
            }
        }
        if (l > 0) {
            int[] prev = takeUnpaired(l - 1, r.n() * k);
            if (prev != null) {
                for (int t = 0; t < r.n(); t++) {
                    for (int i = 0; i < k; i++) {
                        int a = prev[t * k + i];
                        if (a < 0) continue;
                        for (int j = 0; j < k; j++) {
                            int b = ex[t * k + j];
                            if (b >= 0) count(transitions, l - 1, a, b);
                        }
                    }
                }
            }
        }
        if (l + 1 < layers) {
            ArrayDeque<int[]> q = unpaired.get(l);
            if (q.size() == MAX_UNPAIRED) q.removeFirst();
            q.add(ex.clone());
        }
    }

    private int[] takeUnpaired(int layer, int length) {
        for (Iterator<int[]> it = unpaired.get(layer).iterator(); it.hasNext(); ) {
            int[] e = it.next();
            if (e.length == length) {
                it.remove();
                return e;
            }
        }
        return null;
    }

    private void count(Map<Long, long[]> m, int layer, int a, int b) {
        m.computeIfAbsent(((long) layer * experts + a) * experts + b, x -> new long[1])[0]++;
    }

    /** This window's statistics; starts the next window. */
    public synchronized RoutingStatsMessage drain() {
        long now = System.currentTimeMillis();
        RoutingStatsMessage m = new RoutingStatsMessage(RoutingStatsMessage.FORMAT_VERSION, routerId, window++, startMillis, now,
                layers, experts, topK, tokens, load, rows(coact), rows(transitions));
        startMillis = now;
        tokens = 0;
        load = new long[layers][experts];
        coact = new HashMap<>();
        transitions = new HashMap<>();
        return m;
    }

    private List<long[]> rows(Map<Long, long[]> m) {
        List<long[]> out = new ArrayList<>(m.size());
        for (var e : m.entrySet()) {
            long key = e.getKey();
            long b = key % experts;
            long a = (key / experts) % experts;
            long layer = key / ((long) experts * experts);
            out.add(new long[]{layer, a, b, e.getValue()[0]});
        }
        out.sort((x, y) -> {
            for (int i = 0; i < 3; i++) {
                int c = Long.compare(x[i], y[i]);
                if (c != 0) return c;
            }
            return 0;
        });
        return out;
    }
}
