package io.moeserve.core.wire;

/**
 * The fixed 44-byte header every binary moeserve message starts with (little-endian):
 * <pre>
 *  0 u32 magic "MOEW"     4 u8 version   5 u8 kind   6 u8 dtype   7 u8 k
 *  8 i64 planVersion     16 i64 batchId
 * 24 i32 layer           28 i32 routerId (= its moe.combine partition)
 * 32 i32 instancePartition (the expert instance's moe.dispatch partition)
 * 36 i32 tokens          40 i32 hiddenSize
 * </pre>
 * A reply copies the header of the dispatch it answers (kind aside), so it names what it answers.
 */
public record WireHeader(int version, Kind kind, WireDType dtype, int k, long planVersion, long batchId,
                         int layer, int routerId, int instancePartition, int tokens, int hiddenSize) {

    public static final int MAGIC = 0x57454F4D; // "MOEW" read as a little-endian int
    public static final int VERSION = 1;
    public static final int BYTES = 44;

    public enum Kind {
        DISPATCH(1), COMBINE(2);

        private final int code;

        Kind(int code) {
            this.code = code;
        }

        public int code() {
            return code;
        }

        static Kind ofCode(int code) {
            for (Kind k : values()) {
                if (k.code == code) return k;
            }
            return null;
        }
    }

    /** A current-version header. */
    public static WireHeader of(Kind kind, WireDType dtype, int k, long planVersion, long batchId, int layer,
                                int routerId, int instancePartition, int tokens, int hiddenSize) {
        return new WireHeader(VERSION, kind, dtype, k, planVersion, batchId, layer, routerId, instancePartition,
                tokens, hiddenSize);
    }

    /** The same header as another kind (a reply echoes its dispatch's header as COMBINE). */
    public WireHeader as(Kind newKind) {
        return new WireHeader(version, newKind, dtype, k, planVersion, batchId, layer, routerId, instancePartition,
                tokens, hiddenSize);
    }
}
