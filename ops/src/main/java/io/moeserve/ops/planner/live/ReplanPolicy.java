package io.moeserve.ops.planner.live;

import io.moeserve.core.placement.InstanceSpec;
import io.moeserve.core.placement.PlacementPlan;
import io.moeserve.ops.planner.stats.WindowStats;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * When the live planner proposes a new plan, in order of precedence:
 * <ol>
 *   <li>{@code membership}: the instances that are here differ from those of the plan in force (or
 *       of the one being rolled out): an instance joined, left, or stopped sending heartbeats;</li>
 *   <li>{@code ack-timeout}: a proposal was not acked by every instance it names in time;</li>
 *   <li>{@code request}: an operator asked (HTTP {@code POST /replan});</li>
 *   <li>{@code imbalance}: under the moving statistics the plan in force predicts a max/mean load
 *       above the threshold, and the cool-down since the last proposal has passed.</li>
 * </ol>
 * Nothing is proposed while there are no members. Pure: the caller passes the clock.
 */
public final class ReplanPolicy {

    /** @param imbalanceThreshold max/mean (1.0 = perfect) above which the plan in force is re-planned */
    public record Settings(double imbalanceThreshold, Duration cooldown, Duration ackTimeout) {
    }

    private final Settings settings;

    public ReplanPolicy(Settings settings) {
        this.settings = settings;
    }

    /**
     * @param active        the plan in force
     * @param pending       a proposal not active yet, or {@code null}
     * @param proposedAt    when {@code pending} (or the last proposal) was published, millis
     * @param members       instances that are here now
     * @param stats         moving statistics, or {@code null} before any window arrived
     * @param requested     an operator asked for a re-plan
     */
    public Optional<String> reason(long nowMillis, PlacementPlan active, PlacementPlan pending, long proposedAt,
                                   List<InstanceSpec> members, WindowStats stats, boolean requested) {
        if (members.isEmpty()) return Optional.empty();
        Set<String> here = ids(members);
        PlacementPlan target = pending != null ? pending : active;
        if (!here.equals(ids(target.instances()))) return Optional.of("membership");
        if (pending != null) {
            return nowMillis - proposedAt > settings.ackTimeout().toMillis() ? Optional.of("ack-timeout") : Optional.empty();
        }
        if (requested) return Optional.of("request");
        if (stats != null && nowMillis - proposedAt >= settings.cooldown().toMillis()
                && LoadPrediction.maxMean(active, stats) > settings.imbalanceThreshold()) {
            return Optional.of("imbalance");
        }
        return Optional.empty();
    }

    private static Set<String> ids(List<InstanceSpec> instances) {
        Set<String> out = new TreeSet<>();
        for (InstanceSpec i : instances) out.add(i.id());
        return out;
    }
}
