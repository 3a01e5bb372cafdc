package io.moeserve.core.placement;

/** A (layer, expert) pair: the unit the plan places. Ordered by layer, then expert. */
public record ExpertId(int layer, int expert) implements Comparable<ExpertId> {

    @Override
    public int compareTo(ExpertId o) {
        int c = Integer.compare(layer, o.layer);
        return c != 0 ? c : Integer.compare(expert, o.expert);
    }

    @Override
    public String toString() {
        return "layer " + layer + " expert " + expert;
    }
}
