package io.moeserve.core.sampling;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Out-of-range sampling parameters are refused with the OpenAI name of the parameter at fault. */
class SamplingParamsTest {

    static Stream<Arguments> invalid() {
        return Stream.of(
                Arguments.of("temperature", 0f, (Runnable) () -> of(-0.1f, 1f, 0, 16, List.of())),
                Arguments.of("temperature", 0f, (Runnable) () -> of(2.01f, 1f, 0, 16, List.of())),
                Arguments.of("temperature", 0f, (Runnable) () -> of(Float.NaN, 1f, 0, 16, List.of())),
                Arguments.of("top_p", 0f, (Runnable) () -> of(1f, 0f, 0, 16, List.of())),
                Arguments.of("top_p", 0f, (Runnable) () -> of(1f, 1.01f, 0, 16, List.of())),
                Arguments.of("top_p", 0f, (Runnable) () -> of(1f, Float.NaN, 0, 16, List.of())),
                Arguments.of("top_k", 0f, (Runnable) () -> of(1f, 1f, -1, 16, List.of())),
                Arguments.of("max_tokens", 0f, (Runnable) () -> of(1f, 1f, 0, 0, List.of())),
                Arguments.of("max_tokens", 0f, (Runnable) () -> of(1f, 1f, 0, -5, List.of())),
                Arguments.of("stop", 0f, (Runnable) () -> of(1f, 1f, 0, 16, List.of("a", "b", "c", "d", "e"))),
                Arguments.of("stop", 0f, (Runnable) () -> of(1f, 1f, 0, 16, List.of("a", ""))));
    }

    static SamplingParams of(float t, float p, int k, int max, List<String> stop) {
        return new SamplingParams(t, p, k, 1L, max, stop, false);
    }

    @ParameterizedTest(name = "{index}: {0}")
    @MethodSource("invalid")
    void invalidParameter_namesIt(String param, float unused, Runnable build) {
        assertThatThrownBy(build::run).isInstanceOfSatisfying(SamplingParams.InvalidSamplingException.class,
                e -> assertThat(e.param()).isEqualTo(param)).hasMessageStartingWith(param + " ");
    }

    @Test
    void boundaryValues_areAccepted() {
        assertThat(of(0f, 1f, 0, 1, List.of()).isGreedy()).isTrue();
        assertThat(of(2f, 1e-9f, 0, 1, Arrays.asList("a", "b", "c", "d")).stop()).hasSize(4);
        assertThat(new SamplingParams(1f, 1f, 0, null, 1, null, false).stop()).isEmpty();
    }

    @Test
    void stopList_isCopiedNotShared() {
        List<String> stop = new ArrayList<>(List.of("x"));
        SamplingParams p = of(1f, 1f, 0, 4, stop);
        stop.add("y");
        assertThat(p.stop()).containsExactly("x");
    }
}
