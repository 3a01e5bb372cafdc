package io.moeserve.core.engine;

/** A token was routed to an expert this process does not hold (a stale placement plan). */
public class ExpertNotHeldException extends IllegalStateException {
    private final int layer;
    private final int expert;

    public ExpertNotHeldException(int layer, int expert) {
        super("expert " + expert + " of layer " + layer + " is not held here");
        this.layer = layer;
        this.expert = expert;
    }

    public int layer() {
        return layer;
    }

    public int expert() {
        return expert;
    }
}
