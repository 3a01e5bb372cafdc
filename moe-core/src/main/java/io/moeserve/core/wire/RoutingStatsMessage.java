package io.moeserve.core.wire;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;

import java.util.List;

/**
 * Router → {@link Topics#ROUTING_STATS}: what the gates decided during one window, the planner's
 * input (DESIGN.md §5). Counts are over token-expert choices of every routed token (prefill and
 * decode alike). Pair counts are sparse lists of {@code [layer, a, b, count]} rows so that a
 * 256-expert model's window stays small: {@code coact} has {@code a < b} (symmetric, the pair chosen
 * together by one token at one layer); {@code transitions} is (choice {@code a} at {@code layer},
 * choice {@code b} at {@code layer + 1}) of the same token. JSON, since it is a control message.
 *
 * @param formatVersion {@link #FORMAT_VERSION}; a consumer rejects others
 * @param routerId      the router that counted
 * @param window        the router's window sequence number (restarts at 0 when the router does)
 * @param startMillis   window start, wall clock
 * @param endMillis     window end, wall clock
 * @param tokens        tokens routed (each counted once, at layer 0)
 * @param load          {@code load[layer][expert]}: token choices of that expert
 */
public record RoutingStatsMessage(int formatVersion, int routerId, long window, long startMillis, long endMillis,
                                  int layers, int experts, int topK, long tokens, long[][] load,
                                  List<long[]> coact, List<long[]> transitions) {

    public static final int FORMAT_VERSION = 1;

    private static final JsonMapper JSON = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();

    public RoutingStatsMessage {
        coact = coact == null ? List.of() : List.copyOf(coact);
        transitions = transitions == null ? List.of() : List.copyOf(transitions);
    }

    /** Throws {@link IllegalArgumentException} naming what is inconsistent. */
    public RoutingStatsMessage validate() {
        if (formatVersion != FORMAT_VERSION) {
            throw new IllegalArgumentException("routing stats format version " + formatVersion + " (this build reads " + FORMAT_VERSION + ")");
        }
        if (layers <= 0 || experts <= 0 || topK <= 0 || tokens < 0) {
            throw new IllegalArgumentException("routing stats of " + layers + " layers x " + experts + " experts, top-" + topK
                    + ", " + tokens + " tokens");
        }
        if (load == null || load.length != layers) throw new IllegalArgumentException("routing stats load must have " + layers + " layers");
        for (long[] row : load) {
            if (row == null || row.length != experts) throw new IllegalArgumentException("routing stats load rows must have " + experts + " experts");
        }
        checkPairs("coact", coact, layers);
        checkPairs("transitions", transitions, layers - 1);
        return this;
    }

    private void checkPairs(String name, List<long[]> rows, int layerLimit) {
        for (long[] r : rows) {
            if (r == null || r.length != 4 || r[0] < 0 || r[0] >= layerLimit || r[1] < 0 || r[1] >= experts || r[2] < 0
                    || r[2] >= experts || r[3] < 0) {
                throw new IllegalArgumentException("routing stats " + name + " row " + java.util.Arrays.toString(r)
                        + " is not [layer, a, b, count] within " + layers + " layers x " + experts + " experts");
            }
        }
    }

    public String toJson() {
        return JSON.writeValueAsString(this);
    }

    public static RoutingStatsMessage fromJson(String json) {
        try {
            return JSON.readValue(json, RoutingStatsMessage.class).validate();
        } catch (JacksonException e) {
            throw new IllegalArgumentException("not a routing stats message: " + e.getOriginalMessage(), e);
        }
    }
}
