package io.moeserve.core.wire;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * Expert instance → {@link Topics#PLACEMENT_ACKS}: "I hold every expert of plan {@code planVersion}"
 * (status LOADED), or why not (status FAILED with {@code detail}). The planner activates a plan only
 * when every instance it names has acked it. JSON, since it is a control message.
 */
public record PlanAck(String instance, long planVersion, String status, int heldExperts, long heldBytes, String detail) {

    public static final String LOADED = "LOADED";
    public static final String FAILED = "FAILED";

    private static final JsonMapper JSON = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();

    public String toJson() {
        return JSON.writeValueAsString(this);
    }

    public static PlanAck fromJson(String json) {
        try {
            return JSON.readValue(json, PlanAck.class);
        } catch (JacksonException e) {
            throw new IllegalArgumentException("not a plan ack: " + e.getOriginalMessage(), e);
        }
    }
}
