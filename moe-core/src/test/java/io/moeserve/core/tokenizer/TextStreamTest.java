package io.moeserve.core.tokenizer;

import io.moeserve.core.TestModels;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Streaming detokenization with the real tiny-moe tokenizer: held-back partial characters and stop prefixes. */
class TextStreamTest {
    static Tokenizer tok;

    @BeforeAll
    static void load() {
        tok = Tokenizer.load(TestModels.tinyMoe());
    }

    @AfterAll
    static void close() {
        tok.close();
    }

    /** Feeds the text's tokens one by one; returns the deltas (the flush last). */
    static List<String> stream(TextStream ts, String text) {
        List<String> deltas = new ArrayList<>();
        for (int id : tok.encode(text)) deltas.add(ts.add(id));
        deltas.add(ts.flush());
        return deltas;
    }

    @Test
    void partialUtf8_isHeldBackUntilItsCharacterIsComplete() {
        String text = "Grüße aus 日本 🙂 — end";
        int[] ids = tok.encode(text);
        TextStream ts = new TextStream(tok, List.of());
        StringBuilder out = new StringBuilder();
        int splitSteps = 0;
        for (int i = 0; i < ids.length; i++) {
            String delta = ts.add(ids[i]);
            if (tok.decode(ids, 0, i + 1).endsWith("\uFFFD")) splitSteps++;
            assertThat(delta).as("step %d", i).doesNotContain("\uFFFD");
            out.append(delta);
            assertThat(text).startsWith(out.toString());
        }
        out.append(ts.flush());
        assertThat(splitSteps).as("some tokens end inside a multi-byte character").isPositive();
        assertThat(out.toString()).isEqualTo(text);
        assertThat(ts.text()).isEqualTo(text);
    }

    @Test
    void stopSpanningTokens_cutsBeforeTheStopAndNeverEmitsIt() {
        String text = "And the LORD said unto Moses, Go in";
        String stop = "RD sa"; // "LORD" and " said" are different tokens
        assertThat(tok.encode("LORD said").length).isGreaterThan(1);
        TextStream ts = new TextStream(tok, List.of(stop));
        String out = String.join("", stream(ts, text));
        assertThat(out).isEqualTo("And the LO");
        assertThat(ts.stopped()).isTrue();
        assertThat(ts.text()).isEqualTo("And the LO");
        assertThat(ts.add(tok.encode(" more")[0])).isEmpty();
    }

    @Test
    void potentialStopPrefix_isHeldThenReleasedWhenItTurnsOutNotToBeTheStop() {
        String text = "unto Moses, and Moses said";
        TextStream ts = new TextStream(tok, List.of("Moses said!"));
        int[] ids = tok.encode(text);
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < ids.length; i++) {
            out.append(ts.add(ids[i]));
            String full = tok.decode(ids, 0, i + 1);
            // whatever tail of the text could still start "Moses said!" is not shown yet
            for (int k = 1; k <= Math.min(full.length(), "Moses said".length()); k++) {
                if ("Moses said!".startsWith(full.substring(full.length() - k))) {
                    assertThat(out.length()).as("after %s", full).isLessThanOrEqualTo(full.length() - k);
                }
            }
        }
        assertThat(out.toString()).isEqualTo("unto Moses, and ");
        out.append(ts.flush());
        assertThat(out.toString()).isEqualTo(text);
        assertThat(ts.stopped()).isFalse();
    }

    @Test
    void severalStops_theEarliestInTheTextWins() {
        TextStream ts = new TextStream(tok, List.of("Moses", "said"));
        assertThat(String.join("", stream(ts, "And the LORD said unto Moses"))).isEqualTo("And the LORD ");
    }

    @Test
    void stopAtTheVeryStart_emitsNothing() {
        TextStream ts = new TextStream(tok, List.of("And"));
        assertThat(String.join("", stream(ts, "And the LORD"))).isEmpty();
        assertThat(ts.stopped()).isTrue();
    }

    @Test
    void noStops_everyTokenIsEmittedAsSoonAsItIsWholeText() {
        TextStream ts = new TextStream(tok, List.of());
        List<String> deltas = stream(ts, "the LORD is my shepherd");
        assertThat(deltas.getLast()).as("nothing left to flush").isEmpty();
        assertThat(deltas.subList(0, deltas.size() - 1)).allSatisfy(d -> assertThat(d).isNotEmpty());
    }
}
