package io.moeserve.gateway.routing;

import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class EdgeHeadersFilterTest {

    /** The rule as a pattern, the way it was first written: the hand-written scan must agree with it. */
    private static final Pattern TRAVERSAL = Pattern.compile("(^|/)\\.{1,2}(/|$)|%2[eEfF]|%5[cC]|\\\\|//");

    @Test
    void climbingPaths_areRecognisedAndPublicOnesAreNot() {
        String[] climbing = {"/v1/models/../../internal/x", "/v1/models/..", "/v1/./models", "..", ".", "/.",
                "/v1/models/%2e%2e/x", "/v1/models/%2E", "/v1/models%2Finternal", "/v1/models%2f", "/v1%5cx", "/v1%5C",
                "/v1\\models", "//v1/models", "/v1/models//x", "/v1/models/"  + "../"};
        String[] fine = {"/v1/models", "/v1/models/org/name", "/v1/models/a..b", "/v1/models/.hidden", "/v1/models/x.",
                "/v1/models/...", "/v1/completions", "/v1/models/%20", "/v1/models/%2", "/v1/models/%", "/", ""};
        for (String path : climbing) {
            assertThat(EdgeHeadersFilter.climbs(path)).as(path).isTrue();
            assertThat(TRAVERSAL.matcher(path).find()).as(path).isTrue();
        }
        for (String path : fine) {
            assertThat(EdgeHeadersFilter.climbs(path)).as(path).isFalse();
            assertThat(TRAVERSAL.matcher(path).find()).as(path).isFalse();
        }
    }

    @Test
    void generatedRequestIds_areDistinctVersion4Uuids() {
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < 1000; i++) {
            String id = EdgeHeadersFilter.newRequestId();
            UUID uuid = UUID.fromString(id);
            assertThat(uuid.version()).isEqualTo(4);
            assertThat(uuid.variant()).isEqualTo(2);
            assertThat(uuid.toString()).isEqualTo(id);
            ids.add(id);
        }
        assertThat(ids).hasSize(1000);
    }
}
