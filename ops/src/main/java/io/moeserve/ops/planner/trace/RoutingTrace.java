package io.moeserve.ops.planner.trace;

import java.util.ArrayList;
import java.util.List;

/**
 * Routing decisions of consecutive tokens: for each token and layer, the {@code topK} experts the
 * gate chose, highest weight first. Stored flat ({@code [token][layer][k]}) because synthetic
 * DeepSeek-sized traces hold tens of millions of choices; {@link #window} returns views, not copies.
 */
public final class RoutingTrace {

    private final int layers;
    private final int experts;
    private final int topK;
    private final int[] data;
    private final int first;
    private final int tokens;

    public RoutingTrace(int layers, int experts, int topK, int[] data) {
        this(layers, experts, topK, data, 0, data.length / (layers * topK));
        if (data.length % (layers * topK) != 0) {
            throw new IllegalArgumentException("trace data length " + data.length + " is not a multiple of layers x topK");
        }
    }

    private RoutingTrace(int layers, int experts, int topK, int[] data, int first, int tokens) {
        this.layers = layers;
        this.experts = experts;
        this.topK = topK;
        this.data = data;
        this.first = first;
        this.tokens = tokens;
    }

    public int layers() {
        return layers;
    }

    public int experts() {
        return experts;
    }

    public int topK() {
        return topK;
    }

    public int tokens() {
        return tokens;
    }

    /** The {@code j}-th choice (0 = highest weight) of token {@code t} at {@code layer}. */
    public int expert(int t, int layer, int j) {
        return data[((first + t) * layers + layer) * topK + j];
    }

    /** Copies the choices of token {@code t} at {@code layer} into {@code out[0..topK)}. */
    public void experts(int t, int layer, int[] out) {
        System.arraycopy(data, ((first + t) * layers + layer) * topK, out, 0, topK);
    }

    /** Tokens {@code [from, to)} as a trace of their own. */
    public RoutingTrace slice(int from, int to) {
        if (from < 0 || to > tokens || from > to) {
            throw new IndexOutOfBoundsException("slice [" + from + ", " + to + ") of " + tokens + " tokens");
        }
        return new RoutingTrace(layers, experts, topK, data, first + from, to - from);
    }

    /** Window {@code w} of {@code count} equal consecutive windows (the last takes the remainder). */
    public RoutingTrace window(int w, int count) {
        int size = tokens / count;
        return slice(w * size, w == count - 1 ? tokens : (w + 1) * size);
    }

    /** All {@code count} windows. */
    public List<RoutingTrace> windows(int count) {
        if (count < 1 || count > tokens) {
            throw new IllegalArgumentException("cannot split " + tokens + " tokens into " + count + " windows");
        }
        List<RoutingTrace> out = new ArrayList<>(count);
        for (int w = 0; w < count; w++) out.add(window(w, count));
        return out;
    }
}
