package io.moeserve.core.placement;

import java.util.List;

/** A placement plan that breaks a rule; the message names the first problem precisely. */
public final class InvalidPlanException extends IllegalArgumentException {

    private final List<String> problems;

    public InvalidPlanException(String message, List<String> problems) {
        super(message);
        this.problems = List.copyOf(problems);
    }

    /** Every problem found, not only the first. */
    public List<String> problems() {
        return problems;
    }
}
