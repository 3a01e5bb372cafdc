package io.moeserve.core.checkpoint;

/** Element types a checkpoint tensor may have; names are the safetensors dtype strings. */
public enum DType {
    F32(4), BF16(2), F16(2), I8(1);

    private final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }

    public int bytes() {
        return bytes;
    }

    /** The dtype of a safetensors header entry, or a precise error naming the tensor and file. */
    public static DType ofSafetensors(String name, String tensor, String file) {
        return switch (name) {
            case "F32" -> F32;
            case "BF16" -> BF16;
            case "F16" -> F16;
            default -> throw new CheckpointException("tensor " + tensor + " in " + file + " has dtype " + name
                    + ", which moeserve does not read (supported: F32, BF16, F16)");
        };
    }
}
