package io.moeserve.ops.planner.solve;

/**
 * Weights of the placement objective, per layer and in "per token" units:
 * <pre>
 *   straggler * T_l / W  +  messages * M_l / W  +  migrationPerGiB * G_l / 2^30
 * </pre>
 * summed over layers, where {@code T_l} is the busiest instance's token load divided by its speed,
 * {@code M_l} the expected dispatch messages of the window ({@code W} tokens), and {@code G_l} the
 * bytes of expert weights instances must load compared with the previous plan.
 *
 * <p>{@code balanceSlack} additionally caps {@code T_l} at {@code (1 + balanceSlack)} times the
 * greedy (EPLB) plan's: the optimiser may trade a little balance for fewer messages or less
 * migration, never more than that. A negative value removes the cap.
 */
public record CostWeights(double straggler, double messages, double migrationPerGiB, double balanceSlack) {

    public static final CostWeights DEFAULTS = new CostWeights(1.0, 0.1, 0.05, 0.005);

    public CostWeights {
        if (straggler < 0 || messages < 0 || migrationPerGiB < 0) {
            throw new IllegalArgumentException("cost weights must not be negative");
        }
    }
}
