package io.moeserve.core.wire;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ControlMessagesTest {

    private static RoutingStatsMessage stats(int formatVersion) {
        return new RoutingStatsMessage(formatVersion, 1, 7, 1000, 2000, 2, 3, 2, 5,
                new long[][]{{5, 4, 1}, {2, 3, 5}}, List.<long[]>of(new long[]{0, 0, 1, 4}), List.<long[]>of(new long[]{0, 1, 2, 3}));
    }

    @Test
    void routingStats_roundTripThroughJson() {
        RoutingStatsMessage back = RoutingStatsMessage.fromJson(stats(RoutingStatsMessage.FORMAT_VERSION).toJson());
        assertThat(back.load()).isDeepEqualTo(new long[][]{{5, 4, 1}, {2, 3, 5}});
        assertThat(back.coact()).singleElement().isEqualTo(new long[]{0, 0, 1, 4});
        assertThat(back.transitions()).singleElement().isEqualTo(new long[]{0, 1, 2, 3});
        assertThat(back.tokens()).isEqualTo(5);
    }

    @Test
    void routingStats_ofAnUnknownFormatVersion_isRejected() {
        String json = stats(2).toJson();
        assertThatThrownBy(() -> RoutingStatsMessage.fromJson(json)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("format version 2");
    }

    @Test
    void routingStats_withAPairOutsideTheModel_isRejected() {
        RoutingStatsMessage bad = new RoutingStatsMessage(1, 1, 7, 1000, 2000, 2, 3, 2, 5, new long[][]{{5, 4, 1}, {2, 3, 5}},
                List.<long[]>of(new long[]{0, 0, 9, 4}), List.of());
        assertThatThrownBy(() -> RoutingStatsMessage.fromJson(bad.toJson())).hasMessageContaining("coact row");
        assertThatThrownBy(() -> RoutingStatsMessage.fromJson("{\"formatVersion\":1,")).hasMessageContaining("not a routing stats");
    }

    @Test
    void heartbeat_roundTripsAndRejectsUnknownStates() {
        Heartbeat h = new Heartbeat("expert-2", 2, 1 << 30, 1.0, Heartbeat.LEAVING, 4, 123);
        assertThat(Heartbeat.fromJson(h.toJson())).isEqualTo(h);
        assertThat(h.leaving()).isTrue();
        String bad = h.toJson().replace("LEAVING", "SLEEPING");
        assertThatThrownBy(() -> Heartbeat.fromJson(bad)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a heartbeat");
    }
}
