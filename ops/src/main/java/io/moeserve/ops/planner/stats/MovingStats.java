package io.moeserve.ops.planner.stats;

/**
 * Exponential moving average of {@link WindowStats}: {@code avg = alpha * latest + (1 - alpha) * avg}.
 * Counts stay "per window" so the planner can read them as expected tokens of the next window.
 * The first window initialises the average. Not thread-safe; one per planner.
 */
public final class MovingStats {

    private final double alpha;
    private WindowStats current;

    public MovingStats(double alpha) {
        if (!(alpha > 0 && alpha <= 1)) throw new IllegalArgumentException("moving-average alpha must be in (0, 1], got " + alpha);
        this.alpha = alpha;
    }

    public synchronized WindowStats update(WindowStats w) {
        if (current == null) {
            current = w;
            return current;
        }
        if (w.layers() != current.layers() || w.experts() != current.experts()) {
            throw new IllegalArgumentException("statistics of " + w.layers() + " layers x " + w.experts()
                    + " experts cannot be averaged with " + current.layers() + " x " + current.experts());
        }
        current = new WindowStats(w.layers(), w.experts(), w.topK(), mix(current.tokens(), w.tokens()),
                mix(current.load(), w.load()), mix(current.coact(), w.coact()), mix(current.transitions(), w.transitions()));
        return current;
    }

    /** The average so far; {@code null} before the first window. */
    public synchronized WindowStats current() {
        return current;
    }

    private double mix(double old, double latest) {
        return alpha * latest + (1 - alpha) * old;
    }

    private double[][] mix(double[][] old, double[][] latest) {
        double[][] out = new double[old.length][];
        for (int i = 0; i < old.length; i++) {
            out[i] = new double[old[i].length];
            for (int j = 0; j < old[i].length; j++) out[i][j] = mix(old[i][j], latest[i][j]);
        }
        return out;
    }
}
