package io.moeserve.ops.planner;

import io.moeserve.ops.planner.trace.RoutingTrace;
import io.moeserve.ops.planner.trace.TraceReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TraceReaderTest {

    @TempDir
    Path dir;

    @Test
    void tinyMoeTrace_readsEveryTokenWithItsTopTwoPerLayer() {
        RoutingTrace t = TraceReader.read(Traces.tinyMoe(), 16);

        assertThat(t.tokens()).isEqualTo(80 * 256);
        assertThat(t.layers()).isEqualTo(4);
        assertThat(t.topK()).isEqualTo(2);
        // first row of the file: 0,0,2+7,1+4,13+9,1+10
        assertThat(new int[] {t.expert(0, 0, 0), t.expert(0, 0, 1), t.expert(0, 3, 0), t.expert(0, 3, 1)})
                .containsExactly(2, 7, 1, 10);
        assertThat(t.window(3, 4).tokens()).isEqualTo(5120);
        assertThat(t.window(3, 4).expert(5119, 3, 1)).isEqualTo(14); // last row: ...,7+14
    }

    @Test
    void missingFile_isOnePreciseSentence() {
        Path nope = dir.resolve("nope.csv");
        assertThatThrownBy(() -> TraceReader.read(nope, 16))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("trace file " + nope + " does not exist");
    }

    @Test
    void rowWithTooFewColumns_namesLineAndCounts() throws Exception {
        Path f = write("seq,pos,l0,l1\n0,0,1+2,3+4\n0,1,1+2\n");
        assertThatThrownBy(() -> TraceReader.read(f, 16))
                .hasMessage("trace " + f + " line 3: expected 4 columns, got 3");
    }

    @Test
    void expertBeyondExpertsOption_isAnExpertsMismatch() throws Exception {
        Path f = write("seq,pos,l0\n0,0,1+2\n0,1,3+17\n");
        assertThatThrownBy(() -> TraceReader.read(f, 16))
                .hasMessage("trace " + f + " line 3 column l0: expert 17 is out of range for --experts 16 (valid 0..15)");
    }

    @Test
    void nonNumericExpertAndChangingTopK_areRejected() throws Exception {
        Path bad = write("seq,pos,l0\n0,0,1+x\n");
        assertThatThrownBy(() -> TraceReader.read(bad, 16)).hasMessageContaining("line 2 column l0: 'x' is not an integer");
        Path k = write("seq,pos,l0\n0,0,1+2\n0,1,1+2+3\n");
        assertThatThrownBy(() -> TraceReader.read(k, 16)).hasMessageContaining("line 3 column l0: 3 experts where earlier rows have 2");
    }

    @Test
    void badHeaderAndEmptyTrace_areRejected() throws Exception {
        Path h = write("token,l0\n0,1+2\n");
        assertThatThrownBy(() -> TraceReader.read(h, 16)).hasMessageContaining("line 1: header must be seq,pos,l0,l1,...");
        Path empty = write("seq,pos,l0\n");
        assertThatThrownBy(() -> TraceReader.read(empty, 16)).hasMessage("trace " + empty + " has a header but no rows");
    }

    private Path write(String text) throws Exception {
        Path f = Files.createTempFile(dir, "trace", ".csv");
        Files.writeString(f, text);
        return f;
    }
}
