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

    /**
     * The defaults of {@code moe plan}. A dispatch message costs roughly a third of one expert FFN
     * per token at its receiver, and the N instances receive in parallel, so one message per token
     * weighs {@code 0.3 / N} of a token of straggler time. Moving 1 GiB of weights weighs 0.05: a
     * move must buy a lasting saving, not a marginal one. The ILP may lose at most 0.5% balance.
     */
    public static CostWeights defaults(int instances) {
        return new CostWeights(1.0, 0.3 / Math.max(1, instances), 0.05, 0.005);
    }

    public CostWeights {
        if (straggler < 0 || messages < 0 || migrationPerGiB < 0) {
            throw new IllegalArgumentException("cost weights must not be negative");
        }
    }
}
