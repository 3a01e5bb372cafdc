package io.moeserve.contract.deploy;

import java.time.Duration;
import java.util.function.Function;

/**
 * What an expert instance tells the planner, and how it leaves (moeserve.expert.membership.*), as a
 * deployment configures it: the effective property, else the record's @DefaultValue.
 */
final class ExpertMembership {
    private ExpertMembership() {
    }

    static Duration heartbeatInterval(Function<String, String> expertProperty) {
        return duration(expertProperty, "heartbeat-interval", "heartbeatInterval");
    }

    /** How long a leaving instance may keep serving: waiting for a plan without it, then its in-flight steps. */
    static Duration drainTime(Function<String, String> expertProperty) {
        return duration(expertProperty, "drain-timeout", "drainTimeout").plus(duration(expertProperty, "drain-linger", "drainLinger"));
    }

    private static Duration duration(Function<String, String> expertProperty, String key, String component) {
        String v = expertProperty.apply("moeserve.expert.membership." + key);
        return PlannerCli.duration(v != null ? v : ServiceModule.named("expert-service").defaultValue(component));
    }
}
