package io.moeserve.core.checkpoint;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One {@code .safetensors} file mapped read-only into memory. The layout is an 8-byte little-endian
 * header length, a JSON header naming each tensor's dtype, shape and byte range, then the raw data.
 * Every entry is checked against the file size before any weight is read, so a truncated or corrupt
 * file fails at load with the tensor's name instead of crashing mid-inference.
 */
public final class SafeTensorsFile implements AutoCloseable {
    private static final long MAX_HEADER = 100L * 1024 * 1024;
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final Path path;
    private final Arena arena;
    private final Map<String, TensorRef> tensors = new LinkedHashMap<>();

    private SafeTensorsFile(Path path, Arena arena) {
        this.path = path;
        this.arena = arena;
    }

    public static SafeTensorsFile open(Path path) {
        String file = path.getFileName().toString();
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) {
                throw new CheckpointException(file + " is truncated: " + size + " bytes, not even a header length");
            }
            // FileChannel.map into an Arena gives a MemorySegment without the 2 GiB limit of MappedByteBuffer.
            MemorySegment all = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            long headerLen = all.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
            if (headerLen <= 0 || headerLen > MAX_HEADER) {
                throw new CheckpointException(file + " has a corrupt header: header length " + headerLen
                        + " is not between 1 and " + MAX_HEADER + " bytes");
            }
            if (8 + headerLen > size) {
                throw new CheckpointException(file + " is truncated or corrupt: its header length says " + headerLen
                        + " bytes but only " + (size - 8) + " bytes follow the 8-byte length (file of " + size + " bytes)");
            }
            byte[] headerBytes = all.asSlice(8, headerLen).toArray(ValueLayout.JAVA_BYTE);
            JsonNode header;
            try {
                header = JSON.readTree(new String(headerBytes, StandardCharsets.UTF_8));
            } catch (RuntimeException e) {
                throw new CheckpointException(file + " has a corrupt header: not JSON (" + e.getMessage() + ")", e);
            }
            if (!header.isObject()) {
                throw new CheckpointException(file + " has a corrupt header: a JSON " + header.getNodeType()
                        + " where an object of tensors is expected");
            }
            SafeTensorsFile st = new SafeTensorsFile(path, arena);
            long dataStart = 8 + headerLen;
            for (var entry : header.properties()) {
                String name = entry.getKey();
                if (name.equals("__metadata__")) continue;
                st.tensors.put(name, parseEntry(file, name, entry.getValue(), all, dataStart, size));
            }
            return st;
        } catch (NoSuchFileException e) {
            arena.close();
            throw new CheckpointException("checkpoint file " + path + " does not exist", e);
        } catch (IOException e) {
            arena.close();
            throw new CheckpointException("cannot read " + path + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static TensorRef parseEntry(String file, String name, JsonNode e, MemorySegment all, long dataStart, long size) {
        if (!e.isObject() || !e.has("dtype") || !e.has("shape") || !e.has("data_offsets")) {
            throw new CheckpointException("tensor " + name + " in " + file + " has a malformed header entry: " + e);
        }
        DType dtype = DType.ofSafetensors(e.get("dtype").asString(), name, file);
        long[] shape = longs(e.get("shape"), -1, file, name, "shape");
        long[] off = longs(e.get("data_offsets"), 2, file, name, "data_offsets");
        long begin = off[0], end = off[1];
        long expected;
        try {
            long elements = 1;
            for (long s : shape) elements = Math.multiplyExact(elements, s);
            expected = Math.multiplyExact(elements, (long) dtype.bytes());
        } catch (ArithmeticException overflow) {
            throw new CheckpointException("tensor " + name + " in " + file + " has an impossible shape "
                    + java.util.Arrays.toString(shape) + " (element count overflows)");
        }
        if (end - begin != expected) {
            throw new CheckpointException("tensor " + name + " in " + file + ": data_offsets [" + begin + ", " + end + "] span "
                    + (end - begin) + " bytes but shape " + java.util.Arrays.toString(shape) + " of " + dtype + " needs " + expected);
        }
        if (end > size - dataStart) { // not dataStart + end: a huge offset must not overflow past the check
            long endByte = end > Long.MAX_VALUE - dataStart ? Long.MAX_VALUE : dataStart + end;
            throw new CheckpointException(file + " is truncated: tensor " + name + " ends at byte " + endByte
                    + " but the file has " + size + " bytes");
        }
        return new TensorRef(name, file, dtype, shape, all.asSlice(dataStart + begin, expected));
    }

    /** A JSON array of non-negative integers (of exactly `length` elements unless length is -1). */
    private static long[] longs(JsonNode a, int length, String file, String name, String what) {
        boolean ok = a.isArray() && (length < 0 || a.size() == length);
        long[] out = new long[ok ? a.size() : 0];
        for (int i = 0; ok && i < out.length; i++) {
            ok = a.get(i).isIntegralNumber() && a.get(i).canConvertToLong() && a.get(i).asLong() >= 0;
            if (ok) out[i] = a.get(i).asLong();
        }
        if (!ok) {
            throw new CheckpointException("tensor " + name + " in " + file + " has a malformed " + what + ": " + a
                    + (length < 0 ? " (expected an array of non-negative integers)" : " (expected " + length + " non-negative integers)"));
        }
        return out;
    }

    public Map<String, TensorRef> tensors() {
        return tensors;
    }

    public Path path() {
        return path;
    }

    @Override
    public void close() {
        arena.close();
    }
}
