package io.moeserve.core.kernel;

import io.moeserve.core.checkpoint.DType;
import io.moeserve.core.tensor.Matrix;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static io.moeserve.core.kernel.GemmTest.matrix;
import static io.moeserve.core.kernel.GemmTest.randomFloats;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Kernels give the same bits in a JVM that has compiled them (C2 intrinsics) and in one that only
 * interprets them: the router and an expert service are different JVMs at different stages of
 * warm-up, and the distributed path must reproduce the monolithic engine exactly. (With the Vector
 * API's reduceLanes(ADD) or lanewise EXP it does not: their order/approximation differ per mode.)
 */
class KernelBitsTest {

    /** Checksums of kernel outputs on fixed inputs: one line per kernel. */
    static List<String> fingerprint() {
        List<String> out = new ArrayList<>();
        for (DType t : new DType[]{DType.F32, DType.BF16, DType.F16, DType.I8}) {
            Matrix w = matrix(t, 6, 64, 3);
            float[] x = randomFloats(5 * 64, 4), y = new float[5 * 6];
            Gemm.matmul(w, x, 5, y);
            out.add("gemm " + t + " " + hash(y));
        }
        float[] a = randomFloats(100, 5), b = randomFloats(100, 6), n = new float[100];
        out.add("dot " + Float.floatToRawIntBits(Ops.dot(a, 1, b, 2, 97)));
        Ops.rmsNorm(a, 0, b, 1e-5f, n, 0, 96);
        out.add("rmsNorm " + hash(n));
        float[] g = randomFloats(100, 7);
        Ops.siluMul(g, b, 100);
        out.add("siluMul " + hash(g));
        // Attention's kernels at head_dim 32 (the fast paths) and 24 (the fallbacks).
        for (int hd : new int[]{32, 24}) {
            float[] scores = new float[9], att = new float[hd];
            Ops.scaledDots(a, 1, b, 2, hd + 1, 3, hd, 0.17f, scores);
            Ops.weightedSum(b, 9, a, 3, 7, att, 0, hd);
            out.add("attention " + hd + " " + hash(scores) + " " + hash(att));
        }
        return out;
    }

    /** Runs the kernels long enough for C2 to compile them, with the Vector API intrinsics. */
    static void warmUp() {
        float[] x = randomFloats(5 * 64, 1), y = new float[5 * 64], n = new float[64];
        Matrix[] ws = {matrix(DType.F32, 64, 64, 1), matrix(DType.BF16, 64, 64, 1), matrix(DType.F16, 64, 64, 1), matrix(DType.I8, 64, 64, 1)};
        for (int i = 0; i < 3000; i++) {
            for (Matrix w : ws) Gemm.matmul(w, x, 5, y);
            for (int j = 0; j < 20; j++) {
                Ops.dot(x, j, y, 0, 97);
                Ops.rmsNorm(x, j, y, 1e-5f, n, 0, 64);
                Ops.siluMul(n, y, 64);
            }
            fingerprint();
        }
    }

    static String hash(float[] v) {
        long h = 17;
        for (float f : v) h = h * 31 + Float.floatToRawIntBits(f);
        return Long.toHexString(h);
    }

    /** Prints the fingerprint; with "warm", after running the kernels long enough for C2 to compile them. */
    public static void main(String[] args) {
        if (args.length > 0 && args[0].equals("warm")) warmUp();
        fingerprint().forEach(System.out::println);
    }

    @Test
    void kernelsGiveSameBitsCompiledAndInterpreted() throws IOException, InterruptedException {
        warmUp();
        List<String> compiled = fingerprint();
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xint", "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"),
                KernelBitsTest.class.getName()).redirectErrorStream(false).start();
        String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as("interpreted JVM: " + new String(p.getErrorStream().readAllBytes())).isZero();
        assertThat(stdout.lines().toList()).isEqualTo(compiled);
    }
}
