package io.moeserve.core.placement;

import io.moeserve.core.wire.PlanAck;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * When a proposed plan becomes active (DESIGN.md §5: propose → instances load and ack → activate):
 * the newest proposed plan is active once every instance it names has acked exactly its version
 * with {@link PlanAck#LOADED}. Until then the previous active plan stays in force, so a router never
 * sends an expert to an instance that has not loaded it yet. Plans and acks travel on different
 * topics, so either may be seen first; both are remembered. The router and the planner run the same
 * rule, so they agree on what is active. Thread-safe.
 */
public final class PlanActivation {
    private final Map<String, PlanAck> acks = new HashMap<>();
    private PlacementPlan proposed;
    private long activeVersion;

    /** @param activeVersion version already in force (plans up to it are never activated again) */
    public PlanActivation(long activeVersion) {
        this.activeVersion = activeVersion;
    }

    /** A plan seen on moe.placement; returns it when it is newly active. */
    public synchronized Optional<PlacementPlan> onPlan(PlacementPlan plan) {
        if (proposed == null || plan.version() > proposed.version()) proposed = plan;
        return check();
    }

    /** An ack seen on moe.placement-acks; returns the newest plan when this ack completes it. */
    public synchronized Optional<PlacementPlan> onAck(PlanAck ack) {
        PlanAck before = acks.get(ack.instance());
        if (before == null || ack.planVersion() >= before.planVersion()) acks.put(ack.instance(), ack);
        return check();
    }

    public synchronized long activeVersion() {
        return activeVersion;
    }

    /** The newest proposed plan, active or not; {@code null} before any. */
    public synchronized PlacementPlan proposed() {
        return proposed;
    }

    /** Instances of the newest proposal that have not acked it (LOADED) yet; failed ones included. */
    public synchronized List<String> waitingFor() {
        if (proposed == null) return List.of();
        return proposed.instances().stream().map(InstanceSpec::id).filter(id -> !loaded(id, proposed.version())).toList();
    }

    /** Instances that answered the newest proposal with {@link PlanAck#FAILED}. */
    public synchronized List<PlanAck> failures() {
        if (proposed == null) return List.of();
        return acks.values().stream().filter(a -> a.planVersion() == proposed.version() && PlanAck.FAILED.equals(a.status())).toList();
    }

    private Optional<PlacementPlan> check() {
        if (proposed == null || proposed.version() <= activeVersion) return Optional.empty();
        for (InstanceSpec i : proposed.instances()) {
            if (!loaded(i.id(), proposed.version())) return Optional.empty();
        }
        activeVersion = proposed.version();
        return Optional.of(proposed);
    }

    private boolean loaded(String instance, long version) {
        PlanAck a = acks.get(instance);
        return a != null && a.planVersion() == version && PlanAck.LOADED.equals(a.status());
    }
}
