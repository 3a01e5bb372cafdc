package io.moeserve.core.wire;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * Expert instance → {@link Topics#HEARTBEATS}: "I am here, on this partition, with this much room".
 * The planner's membership: an instance joins with its first heartbeat and leaves with a
 * {@link #LEAVING} heartbeat (graceful stop) or when heartbeats stop for longer than its timeout.
 * JSON, since it is a control message.
 *
 * @param instance    instance id as plans name it
 * @param partition   its moe.dispatch partition
 * @param memoryBytes room for expert weights (what the plan may put on it)
 * @param speed       relative compute speed (1.0 = baseline)
 * @param state       {@link #UP} or {@link #LEAVING}
 * @param planVersion the plan version it serves
 * @param sentMillis  wall-clock time it was sent
 */
public record Heartbeat(String instance, int partition, long memoryBytes, double speed, String state, long planVersion,
                        long sentMillis) {

    public static final String UP = "UP";
    public static final String LEAVING = "LEAVING";

    private static final JsonMapper JSON = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();

    public Heartbeat {
        if (instance == null || instance.isBlank()) throw new IllegalArgumentException("heartbeat without an instance id");
        if (partition < 0) throw new IllegalArgumentException("heartbeat of '" + instance + "' with partition " + partition);
        if (!UP.equals(state) && !LEAVING.equals(state)) {
            throw new IllegalArgumentException("heartbeat of '" + instance + "' with unknown state '" + state + "'");
        }
    }

    public boolean leaving() {
        return LEAVING.equals(state);
    }

    public String toJson() {
        return JSON.writeValueAsString(this);
    }

    public static Heartbeat fromJson(String json) {
        try {
            return JSON.readValue(json, Heartbeat.class);
        } catch (JacksonException e) {
            throw new IllegalArgumentException("not a heartbeat: " + e.getOriginalMessage(), e);
        }
    }
}
