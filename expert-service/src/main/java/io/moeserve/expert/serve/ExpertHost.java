package io.moeserve.expert.serve;

import io.moeserve.core.checkpoint.Checkpoint;
import io.moeserve.core.engine.ExpertNotHeldException;
import io.moeserve.core.engine.LocalExperts;
import io.moeserve.core.model.ModelConfig;
import io.moeserve.core.placement.ExpertId;
import io.moeserve.core.placement.PlacementPlan;
import io.moeserve.core.wire.CombineMessage;
import io.moeserve.core.wire.DispatchMessage;
import io.moeserve.core.wire.PlanAck;
import io.moeserve.core.wire.WireHeader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The experts this instance holds and the plan that says which: answers a dispatch with the partial
 * sums of its slots, or with STALE_PLAN naming what it does not hold. A newer plan is adopted by
 * loading what it adds first (then acking), keeping what it drops for a grace period so in-flight
 * steps of the old plan are still served, then unloading. Serving asks "do I hold it", not "which
 * plan version is this", so both versions are served during a switch.
 */
public final class ExpertHost implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ExpertHost.class);

    private final String instanceId;
    private final ModelConfig config;
    private final LocalExperts experts;
    private final Duration unloadGrace;
    private final ScheduledExecutorService unloader = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "expert-unloader");
        t.setDaemon(true);
        return t;
    });
    private volatile PlacementPlan plan;

    public ExpertHost(String instanceId, Checkpoint checkpoint, boolean int8, PlacementPlan initial, Duration unloadGrace) {
        this.instanceId = instanceId;
        this.config = checkpoint.config();
        this.experts = new LocalExperts(checkpoint, int8);
        this.unloadGrace = unloadGrace;
        checkShape(initial);
        this.plan = initial;
        Set<ExpertId> mine = initial.expertsOf(instanceId);
        experts.load((l, e) -> mine.contains(new ExpertId(l, e)));
        log.info("instance {} holds {} experts ({} MB) of plan v{}", instanceId, mine.size(), experts.heldBytes() >> 20,
                initial.version());
    }

    public String instanceId() {
        return instanceId;
    }

    public PlacementPlan plan() {
        return plan;
    }

    public LocalExperts experts() {
        return experts;
    }

    public ModelConfig config() {
        return config;
    }

    /** The reply to one dispatch: OK with one partial vector per token, STALE_PLAN, or ERROR. */
    public CombineMessage handle(DispatchMessage m) {
        WireHeader h = m.header();
        if (h.hiddenSize() != config.hiddenSize()) {
            return CombineMessage.error(h, "hidden size " + h.hiddenSize() + " does not match the model's " + config.hiddenSize());
        }
        if (h.layer() >= config.numLayers()) {
            return CombineMessage.error(h, "layer " + h.layer() + " is outside the model's " + config.numLayers() + " layers");
        }
        Set<ExpertId> missing = new TreeSet<>();
        for (int e : m.experts()) {
            if (e >= config.numExperts()) {
                return CombineMessage.error(h, "expert " + e + " is outside the model's " + config.numExperts() + " experts");
            }
            if (e >= 0 && !experts.holds(h.layer(), e)) missing.add(new ExpertId(h.layer(), e));
        }
        if (!missing.isEmpty()) return CombineMessage.stalePlan(h, missing.stream().toList());
        try {
            return CombineMessage.ok(h, experts.compute(h.layer(), m.hidden(), h.tokens(), h.k(), m.experts(), m.weights()));
        } catch (ExpertNotHeldException e) { // unloaded between the check and the compute
            return CombineMessage.stalePlan(h, java.util.List.of(new ExpertId(e.layer(), e.expert())));
        }
    }

    /**
     * Adopts a newer plan: loads the experts it adds, switches, schedules the unload of the experts it
     * drops. Returns the ack to publish, or {@code null} when the plan is not newer than the active one.
     */
    public synchronized PlanAck adopt(PlacementPlan next) {
        if (next.version() <= plan.version()) return null;
        try {
            checkShape(next);
            if (next.instance(instanceId) == null) log.warn("plan v{} does not name instance {}: it will hold nothing", next.version(), instanceId);
            Set<ExpertId> wanted = next.expertsOf(instanceId);
            for (ExpertId id : wanted) experts.ensure(id.layer(), id.expert());
            plan = next;
            Set<ExpertId> dropped = new TreeSet<>();
            for (int key : experts.heldKeys()) {
                ExpertId id = new ExpertId(key / config.numExperts(), key % config.numExperts());
                if (!wanted.contains(id)) dropped.add(id);
            }
            if (!dropped.isEmpty()) unloader.schedule(() -> unloadIfStillDropped(dropped), unloadGrace.toMillis(), TimeUnit.MILLISECONDS);
            log.info("instance {} adopted plan v{}: holds {} experts, drops {} after {}", instanceId, next.version(),
                    wanted.size(), dropped.size(), unloadGrace);
            return new PlanAck(instanceId, next.version(), PlanAck.LOADED, wanted.size(), experts.heldBytes(), "");
        } catch (RuntimeException e) {
            log.error("instance {} cannot adopt plan v{}", instanceId, next.version(), e);
            return new PlanAck(instanceId, next.version(), PlanAck.FAILED, experts.heldKeys().size(), experts.heldBytes(),
                    String.valueOf(e.getMessage()));
        }
    }

    private synchronized void unloadIfStillDropped(Set<ExpertId> dropped) {
        Set<ExpertId> wanted = plan.expertsOf(instanceId);
        int n = 0;
        for (ExpertId id : dropped) {
            if (!wanted.contains(id)) {
                experts.unload(id.layer(), id.expert());
                n++;
            }
        }
        log.info("instance {} unloaded {} experts dropped by plan v{}", instanceId, n, plan.version());
    }

    private void checkShape(PlacementPlan p) {
        if (p.numLayers() != config.numLayers() || p.numExperts() != config.numExperts()) {
            throw new IllegalArgumentException("plan v" + p.version() + " is for " + p.numLayers() + " layers x " + p.numExperts()
                    + " experts, the model has " + config.numLayers() + " x " + config.numExperts());
        }
    }

    @Override
    public void close() {
        unloader.shutdownNow();
    }
}
