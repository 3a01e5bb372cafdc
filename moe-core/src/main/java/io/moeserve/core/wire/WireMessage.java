package io.moeserve.core.wire;

/** A decoded binary message: a {@link DispatchMessage} or a {@link CombineMessage}. */
public sealed interface WireMessage permits DispatchMessage, CombineMessage {
    WireHeader header();
}
