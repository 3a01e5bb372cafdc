package io.moeserve.core.checkpoint;

import io.moeserve.core.kernel.Gemm;
import io.moeserve.core.tensor.Matrix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A safetensors file over 2 GiB maps and reads correctly (FFM segments, no MappedByteBuffer limit).
 * The file is sparse: a 2 GiB zero "filler" tensor is a hole, so the test costs no disk.
 */
class LargeFileTest {
    @TempDir
    Path dir;

    @Test
    void tensorBeyondTwoGiB_readsBackItsValues() throws IOException {
        long filler = (1L << 31) + 24; // bytes: the next tensor starts past 2^31 in the data section
        float[] values = new float[2 * 8];
        for (int i = 0; i < values.length; i++) values[i] = 0.5f * i - 3;
        Path f = new SafetensorsWriter()
                .zeros("filler", "BF16", filler, filler / 2)
                .f32("far", values, 2, 8)
                .bf16("farther", new float[]{1.5f, -2.25f}, 2)
                .write(dir.resolve("big.safetensors"));
        assertThat(Files.size(f)).isGreaterThan(1L << 31);

        try (SafeTensorsFile st = SafeTensorsFile.open(f)) {
            TensorRef far = st.tensors().get("far");
            assertThat(far.shape()).containsExactly(2, 8);
            assertThat(far.toFloatArray()).containsExactly(values);
            assertThat(st.tensors().get("farther").toFloatArray()).containsExactly(1.5f, -2.25f);
            assertThat(st.tensors().get("filler").getFloat((filler / 2) - 1)).isZero();

            // The vector kernels read a matrix that lives past 2 GiB in the mapping.
            float[] out = new float[2];
            float[] x = {1, 1, 1, 1, 1, 1, 1, 1};
            Gemm.matmul(Matrix.of(far), x, 1, out);
            float row0 = 0, row1 = 0;
            for (int i = 0; i < 8; i++) {
                row0 += values[i];
                row1 += values[8 + i];
            }
            assertThat(out).containsExactly(row0, row1);
        }
    }
}
