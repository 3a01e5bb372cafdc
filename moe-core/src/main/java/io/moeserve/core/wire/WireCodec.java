package io.moeserve.core.wire;

import io.moeserve.core.placement.ExpertId;
import io.moeserve.core.wire.WireFormatException.Reason;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Encodes and decodes the binary messages of {@link Topics#DISPATCH} and {@link Topics#COMBINE}
 * (layouts in {@link WireHeader}, {@link DispatchMessage}, {@link CombineMessage}). Decoding checks
 * every length against the header before reading, so a truncated, padded or foreign payload is a
 * {@link WireFormatException} naming the problem, never a misread or an unchecked exception.
 */
public final class WireCodec {
    /** Bytes per dispatch slot: i16 expert + f32 weight. */
    public static final int SLOT_BYTES = 6;
    private static final int MAX_MESSAGE = Integer.MAX_VALUE - 16;

    private WireCodec() {
    }

    // ---- encoding ----

    public static byte[] encode(DispatchMessage m) {
        WireHeader h = m.header();
        if (h.k() < 1 || h.k() > 255) throw new IllegalArgumentException("k must be in [1, 255], got " + h.k());
        long slots = (long) h.tokens() * h.k();
        ByteBuffer buf = allocate(WireHeader.BYTES + slots * SLOT_BYTES + vectorBytes(h));
        writeHeader(buf, h);
        for (int i = 0; i < slots; i++) {
            int e = m.experts()[i];
            if (e < -1 || e > Short.MAX_VALUE) throw new IllegalArgumentException("expert id " + e + " does not fit the wire's i16 (or -1)");
            buf.putShort((short) e).putFloat(m.weights()[i]);
        }
        writeVectors(buf, m.hidden(), h.dtype());
        return buf.array();
    }

    public static byte[] encode(CombineMessage m) {
        WireHeader h = m.header();
        byte[] text = m.error().getBytes(StandardCharsets.UTF_8);
        long body = 1 + switch (m.status()) {
            case OK -> vectorBytes(h);
            case STALE_PLAN -> 4 + 4L * m.notHeld().size();
            case ERROR -> 4 + text.length;
        };
        ByteBuffer buf = allocate(WireHeader.BYTES + body);
        writeHeader(buf, h);
        buf.put((byte) m.status().code());
        switch (m.status()) {
            case OK -> writeVectors(buf, m.vectors(), h.dtype());
            case STALE_PLAN -> {
                buf.putInt(m.notHeld().size());
                for (ExpertId id : m.notHeld()) {
                    if (id.layer() > Short.MAX_VALUE || id.expert() > Short.MAX_VALUE) {
                        throw new IllegalArgumentException(id + " does not fit the wire's i16");
                    }
                    buf.putShort((short) id.layer()).putShort((short) id.expert());
                }
            }
            case ERROR -> buf.putInt(text.length).put(text);
        }
        return buf.array();
    }

    public static byte[] encode(WireMessage m) {
        return switch (m) {
            case DispatchMessage d -> encode(d);
            case CombineMessage c -> encode(c);
        };
    }

    private static ByteBuffer allocate(long size) {
        if (size > MAX_MESSAGE) throw new IllegalArgumentException("message of " + size + " bytes is too large to encode");
        return ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static long vectorBytes(WireHeader h) {
        return (long) h.tokens() * h.hiddenSize() * h.dtype().bytes();
    }

    private static void writeHeader(ByteBuffer buf, WireHeader h) {
        buf.putInt(WireHeader.MAGIC).put((byte) h.version()).put((byte) h.kind().code()).put((byte) h.dtype().code())
                .put((byte) h.k()).putLong(h.planVersion()).putLong(h.batchId()).putInt(h.layer()).putInt(h.routerId())
                .putInt(h.instancePartition()).putInt(h.tokens()).putInt(h.hiddenSize());
    }

    private static void writeVectors(ByteBuffer buf, float[] v, WireDType dtype) {
        if (dtype == WireDType.F32) {
            buf.asFloatBuffer().put(v);
            buf.position(buf.position() + v.length * 4);
        } else {
            for (float f : v) buf.putShort(Bf16.fromFloat(f));
        }
    }

    // ---- decoding ----

    /** Decodes either kind. */
    public static WireMessage decode(byte[] bytes) {
        WireHeader h = readHeader(bytes);
        return h.kind() == WireHeader.Kind.DISPATCH ? dispatchBody(h, bytes) : combineBody(h, bytes);
    }

    public static DispatchMessage decodeDispatch(byte[] bytes) {
        WireHeader h = readHeader(bytes);
        if (h.kind() != WireHeader.Kind.DISPATCH) throw new WireFormatException(Reason.KIND, "expected a DISPATCH message, got " + h.kind());
        return dispatchBody(h, bytes);
    }

    public static CombineMessage decodeCombine(byte[] bytes) {
        WireHeader h = readHeader(bytes);
        if (h.kind() != WireHeader.Kind.COMBINE) throw new WireFormatException(Reason.KIND, "expected a COMBINE message, got " + h.kind());
        return combineBody(h, bytes);
    }

    /** Reads and checks the header only (what a receiver needs to route or reject a message). */
    public static WireHeader readHeader(byte[] bytes) {
        if (bytes == null) throw new WireFormatException(Reason.TRUNCATED, "message has no payload (null)");
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length >= 4 && b.getInt(0) != WireHeader.MAGIC) {
            throw new WireFormatException(Reason.MAGIC, String.format("bad magic 0x%08x (expected 0x%08x \"MOEW\"): not a moeserve wire message",
                    b.getInt(0), WireHeader.MAGIC));
        }
        if (bytes.length < WireHeader.BYTES) {
            throw new WireFormatException(Reason.TRUNCATED, "message is " + bytes.length + " bytes, shorter than the "
                    + WireHeader.BYTES + "-byte header");
        }
        int version = b.get(4) & 0xff;
        if (version != WireHeader.VERSION) {
            throw new WireFormatException(Reason.VERSION, "wire version " + version + " is not supported (this reader understands version "
                    + WireHeader.VERSION + ")");
        }
        WireHeader.Kind kind = WireHeader.Kind.ofCode(b.get(5) & 0xff);
        if (kind == null) throw new WireFormatException(Reason.KIND, "unknown message kind " + (b.get(5) & 0xff) + " (1 = DISPATCH, 2 = COMBINE)");
        WireDType dtype = WireDType.ofCode(b.get(6) & 0xff);
        if (dtype == null) throw new WireFormatException(Reason.DTYPE, "unknown dtype " + (b.get(6) & 0xff) + " (0 = F32, 1 = BF16)");
        WireHeader h = new WireHeader(version, kind, dtype, b.get(7) & 0xff, b.getLong(8), b.getLong(16), b.getInt(24),
                b.getInt(28), b.getInt(32), b.getInt(36), b.getInt(40));
        if (h.tokens() < 0) throw invalid(h, "negative token count " + h.tokens());
        if (h.hiddenSize() <= 0) throw invalid(h, "hidden size " + h.hiddenSize() + " is not positive");
        if (h.layer() < 0) throw invalid(h, "negative layer " + h.layer());
        if (h.routerId() < 0) throw invalid(h, "negative router id " + h.routerId());
        if (h.instancePartition() < 0) throw invalid(h, "negative instance partition " + h.instancePartition());
        if (kind == WireHeader.Kind.DISPATCH && h.k() == 0) throw invalid(h, "k is 0");
        return h;
    }

    private static WireFormatException invalid(WireHeader h, String what) {
        return new WireFormatException(Reason.INVALID, h.kind() + " header of batch " + h.batchId() + ": " + what);
    }

    private static DispatchMessage dispatchBody(WireHeader h, byte[] bytes) {
        long slots = (long) h.tokens() * h.k();
        long expected = WireHeader.BYTES + slots * SLOT_BYTES + vectorBytes(h);
        checkSize(bytes, expected, () -> "DISPATCH of " + h.tokens() + " tokens x k=" + h.k() + " slots and hidden "
                + h.hiddenSize() + " " + h.dtype());
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).position(WireHeader.BYTES);
        int[] experts = new int[(int) slots];
        float[] weights = new float[(int) slots];
        for (int i = 0; i < slots; i++) {
            experts[i] = b.getShort();
            weights[i] = b.getFloat();
            if (experts[i] < -1) {
                throw new WireFormatException(Reason.INVALID, "DISPATCH batch " + h.batchId() + ": token " + i / h.k() + " slot "
                        + i % h.k() + " names expert " + experts[i] + " (must be >= 0, or -1 for another instance)");
            }
        }
        float[] hidden = readVectors(b, h);
        return new DispatchMessage(h, experts, weights, hidden);
    }

    private static CombineMessage combineBody(WireHeader h, byte[] bytes) {
        if (bytes.length < WireHeader.BYTES + 1) {
            throw new WireFormatException(Reason.TRUNCATED, "COMBINE of batch " + h.batchId() + " ends before its status byte");
        }
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).position(WireHeader.BYTES);
        int code = b.get() & 0xff;
        CombineMessage.Status status = CombineMessage.Status.ofCode(code);
        if (status == null) {
            throw new WireFormatException(Reason.INVALID, "COMBINE of batch " + h.batchId() + " has unknown status " + code
                    + " (0 = OK, 1 = STALE_PLAN, 2 = ERROR)");
        }
        return switch (status) {
            case OK -> {
                checkSize(bytes, WireHeader.BYTES + 1 + vectorBytes(h), () -> "COMBINE OK of " + h.tokens()
                        + " tokens x hidden " + h.hiddenSize() + " " + h.dtype());
                yield new CombineMessage(h, status, List.of(), "", readVectors(b, h));
            }
            case STALE_PLAN -> {
                int count = countField(b, h, "STALE_PLAN expert count");
                checkSize(bytes, WireHeader.BYTES + 5 + 4L * count, () -> "COMBINE STALE_PLAN listing " + count + " experts");
                List<ExpertId> ids = new ArrayList<>(count);
                for (int i = 0; i < count; i++) ids.add(new ExpertId(b.getShort(), b.getShort()));
                yield new CombineMessage(h, status, ids, "", null);
            }
            case ERROR -> {
                int len = countField(b, h, "ERROR message length");
                checkSize(bytes, WireHeader.BYTES + 5 + (long) len, () -> "COMBINE ERROR with a " + len + "-byte message");
                String text = new String(bytes, WireHeader.BYTES + 5, len, StandardCharsets.UTF_8);
                yield new CombineMessage(h, status, List.of(), text, null);
            }
        };
    }

    private static int countField(ByteBuffer b, WireHeader h, String what) {
        if (b.remaining() < 4) {
            throw new WireFormatException(Reason.TRUNCATED, "COMBINE of batch " + h.batchId() + " ends before its " + what);
        }
        int n = b.getInt();
        if (n < 0) throw new WireFormatException(Reason.INVALID, "COMBINE of batch " + h.batchId() + " has negative " + what + " " + n);
        return n;
    }

    private static void checkSize(byte[] bytes, long expected, java.util.function.Supplier<String> what) {
        if (bytes.length < expected) {
            throw new WireFormatException(Reason.TRUNCATED, what.get() + " needs " + expected + " bytes, got only " + bytes.length);
        }
        if (bytes.length > expected) {
            throw new WireFormatException(Reason.SIZE_MISMATCH, what.get() + " needs " + expected + " bytes, got " + bytes.length
                    + " (" + (bytes.length - expected) + " trailing bytes)");
        }
    }

    private static float[] readVectors(ByteBuffer b, WireHeader h) {
        float[] v = new float[h.tokens() * h.hiddenSize()];
        if (h.dtype() == WireDType.F32) {
            b.asFloatBuffer().get(v);
            b.position(b.position() + v.length * 4);
        } else {
            for (int i = 0; i < v.length; i++) v[i] = Bf16.toFloat(b.getShort());
        }
        return v;
    }
}
