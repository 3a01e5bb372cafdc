package io.moeserve.core.tokenizer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import io.moeserve.core.checkpoint.CheckpointException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The model's {@code tokenizer.json} through Hugging Face's Rust tokenizers (DJL's binding), with
 * truncation and padding off: a prompt is never shortened behind the caller's back; the context
 * limit is checked where the tokens are used.
 */
public final class Tokenizer implements AutoCloseable {
    static {
        // No downloads or telemetry from DJL: the native library ships inside its jar.
        if (System.getProperty("DJL_OFFLINE") == null) System.setProperty("offline", "true");
    }

    private final HuggingFaceTokenizer hf;

    private Tokenizer(HuggingFaceTokenizer hf) {
        this.hf = hf;
    }

    public static Tokenizer load(Path modelDir) {
        Path file = modelDir.resolve("tokenizer.json");
        if (!Files.exists(file)) throw new CheckpointException("model directory " + modelDir + " has no tokenizer.json");
        try {
            return new Tokenizer(HuggingFaceTokenizer.newInstance(file, Map.of(
                    "addSpecialTokens", "false", "truncation", "false", "padding", "false")));
        } catch (IOException | RuntimeException e) {
            throw new CheckpointException("cannot load " + file + ": " + e.getMessage(), e);
        }
    }

    public int[] encode(String text) {
        Encoding enc = hf.encode(text, false, false);
        long[] ids = enc.getIds();
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) out[i] = Math.toIntExact(ids[i]);
        return out;
    }

    public String decode(int[] ids) {
        return decode(ids, 0, ids.length);
    }

    public String decode(int[] ids, int from, int to) {
        long[] l = new long[to - from];
        for (int i = from; i < to; i++) l[i - from] = ids[i];
        return hf.decode(l, false);
    }

    /** The text of one token, for logprobs' per-token strings. */
    public String tokenText(int id) {
        return decode(new int[]{id});
    }

    @Override
    public void close() {
        hf.close();
    }
}
