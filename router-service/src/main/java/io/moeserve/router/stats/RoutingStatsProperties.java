package io.moeserve.router.stats;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.time.Duration;

/**
 * Routing statistics for the planner ({@code moeserve.router.routing-stats.*}), published when the
 * experts are remote ({@code moeserve.router.experts=kafka}).
 *
 * @param enabled count and publish on moe.routing-stats
 * @param window  how often a window is published
 */
@ConfigurationProperties("moeserve.router.routing-stats")
public record RoutingStatsProperties(@DefaultValue("true") boolean enabled, @DefaultValue("10s") Duration window) {
}
