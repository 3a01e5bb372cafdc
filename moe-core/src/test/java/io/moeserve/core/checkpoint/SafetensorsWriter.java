package io.moeserve.core.checkpoint;

import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes {@code .safetensors} files for tests: synthetic checkpoints, shards cut from a real one, and
 * deliberately broken files. Tensors are laid out in the order added; {@link #zeros} leaves a hole in
 * the file instead of writing bytes, so a file of several GiB costs no disk (sparse file).
 */
public final class SafetensorsWriter {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private record Entry(String dtype, long[] shape, byte[] data, long length) {
    }

    private final Map<String, Entry> tensors = new LinkedHashMap<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();

    public SafetensorsWriter f32(String name, float[] values, long... shape) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) b.putFloat(v);
        return raw(name, "F32", shape, b.array());
    }

    /** BF16, rounded to nearest even from the float values (what torch's .to(bfloat16) does). */
    public SafetensorsWriter bf16(String name, float[] values, long... shape) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) b.putShort(toBf16(v));
        return raw(name, "BF16", shape, b.array());
    }

    public SafetensorsWriter f16(String name, float[] values, long... shape) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) b.putShort(Float.floatToFloat16(v));
        return raw(name, "F16", shape, b.array());
    }

    /** A tensor with the given bytes, whatever they are (dtype strings the reader refuses included). */
    public SafetensorsWriter raw(String name, String dtype, long[] shape, byte[] data) {
        tensors.put(name, new Entry(dtype, shape.clone(), data, data.length));
        return this;
    }

    /** A tensor of `bytes` zero bytes that are never written: the file gets a hole there. */
    public SafetensorsWriter zeros(String name, String dtype, long bytes, long... shape) {
        tensors.put(name, new Entry(dtype, shape.clone(), null, bytes));
        return this;
    }

    public SafetensorsWriter metadata(String key, String value) {
        metadata.put(key, value);
        return this;
    }

    /** The JSON header, padded with spaces to a multiple of 8 bytes as the format recommends. */
    public byte[] header() {
        Map<String, Object> h = new LinkedHashMap<>();
        if (!metadata.isEmpty()) h.put("__metadata__", metadata);
        long off = 0;
        for (var e : tensors.entrySet()) {
            Entry t = e.getValue();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("dtype", t.dtype());
            m.put("shape", t.shape());
            m.put("data_offsets", List.of(off, off + t.length()));
            h.put(e.getKey(), m);
            off += t.length();
        }
        byte[] json = JSON.writeValueAsString(h).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        byte[] out = new byte[padded];
        System.arraycopy(json, 0, out, 0, json.length);
        for (int i = json.length; i < padded; i++) out[i] = ' ';
        return out;
    }

    public Path write(Path file) {
        return writeRaw(file, header(), this);
    }

    /** A file with an arbitrary header (corrupt-header tests) followed by this writer's tensor data. */
    public Path writeWithHeader(Path file, String headerJson) {
        return writeRaw(file, headerJson.getBytes(StandardCharsets.UTF_8), this);
    }

    private static Path writeRaw(Path file, byte[] header, SafetensorsWriter data) {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(0);
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length);
            f.write(len.array());
            f.write(header);
            long pos = 8 + header.length;
            for (Entry t : data.tensors.values()) {
                if (t.data() != null) {
                    f.seek(pos);
                    f.write(t.data());
                }
                pos += t.length();
            }
            f.setLength(pos);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write " + file, e);
        }
        return file;
    }

    /** The 8-byte little-endian header length followed by the header bytes, exactly as on disk. */
    public static byte[] lengthPrefix(long headerLength) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(headerLength).array();
    }

    public static short toBf16(float v) {
        int bits = Float.floatToRawIntBits(v);
        if (Float.isNaN(v)) return (short) ((bits >>> 16) | 0x40);
        int rounding = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }

    public static float fromBf16(short s) {
        return Float.intBitsToFloat((s & 0xFFFF) << 16);
    }
}
