package io.moeserve.ops.planner;

import io.moeserve.core.model.ModelConfig;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * The MoE dimensions the planner needs: layers, experts, top-k and the bytes of one expert's
 * weights ({@code 3 * hidden * intermediate * bytesPerWeight}: gate, up and down projections).
 */
public record ModelShape(String name, int layers, int experts, int topK, long expertBytes) {

    /** The synthetic shapes of {@code moe plan --synthetic}, with the real models' expert sizes. */
    public static final Map<String, ModelShape> SYNTHETIC;

    static {
        Map<String, ModelShape> m = new LinkedHashMap<>();
        m.put("mixtral", of("mixtral", 32, 8, 2, 4096, 14336, 2));             // BF16
        m.put("qwen3-30b-a3b", of("qwen3-30b-a3b", 48, 128, 8, 2048, 768, 2)); // BF16
        // DeepSeek-V3: 61 layers of which the first 3 are dense; its released weights are FP8.
        m.put("deepseek-v3", of("deepseek-v3", 58, 256, 8, 7168, 2048, 1));
        SYNTHETIC = Map.copyOf(m);
    }

    /** tiny-moe, the bundled model (BF16 256 x 256 experts). */
    public static final ModelShape TINY_MOE = of("tiny-moe", 4, 16, 2, 256, 256, 2);

    public static ModelShape of(String name, int layers, int experts, int topK, int hidden, int intermediate,
                                int bytesPerWeight) {
        return new ModelShape(name, layers, experts, topK, 3L * hidden * intermediate * bytesPerWeight);
    }

    public static ModelShape synthetic(String name) {
        ModelShape s = SYNTHETIC.get(name.toLowerCase(Locale.ROOT));
        if (s == null) {
            throw new IllegalArgumentException("unknown synthetic shape '" + name + "' (known: "
                    + String.join(", ", new TreeSet<>(SYNTHETIC.keySet())) + ")");
        }
        return s;
    }

    /** The shape of a checkpoint, from its {@code config.json}; weights counted as BF16. */
    public static ModelShape of(String name, ModelConfig c) {
        return of(name, c.numLayers(), c.numExperts(), c.topK(), c.hiddenSize(), c.intermediateSize(), 2);
    }
}
