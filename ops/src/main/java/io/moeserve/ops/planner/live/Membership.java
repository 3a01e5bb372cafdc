package io.moeserve.ops.planner.live;

import io.moeserve.core.placement.InstanceSpec;
import io.moeserve.core.wire.Heartbeat;

import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Which expert instances are here, from their heartbeats: an instance is a member while its newest
 * heartbeat says UP and is younger than the timeout; a LEAVING heartbeat takes it out at once.
 * Heartbeats are compared by send time, so a replayed old one never resurrects an instance.
 * Thread-safe.
 */
public final class Membership {
    private final Map<String, Heartbeat> newest = new HashMap<>();
    private final long timeoutMillis;

    public Membership(long timeoutMillis) {
        this.timeoutMillis = timeoutMillis;
    }

    public synchronized void onHeartbeat(Heartbeat h) {
        Heartbeat before = newest.get(h.instance());
        if (before == null || h.sentMillis() >= before.sentMillis()) newest.put(h.instance(), h);
    }

    /** Whether {@code instance} has ever sent a heartbeat (as far as this planner has read). */
    public synchronized boolean seen(String instance) {
        return newest.containsKey(instance);
    }

    /** The members at {@code nowMillis}, by partition, as the plan's instances. */
    public synchronized List<InstanceSpec> members(long nowMillis) {
        return newest.values().stream()
                .filter(h -> !h.leaving() && nowMillis - h.sentMillis() <= timeoutMillis)
                .sorted(Comparator.comparingInt(Heartbeat::partition).thenComparing(Heartbeat::instance))
                .map(h -> new InstanceSpec(h.instance(), h.partition(), h.memoryBytes(), h.speed(), ""))
                .toList();
    }
}
