package io.moeserve.contract.support;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives tests the {@link Stack}, started on first use and kept in JUnit's root store, which
 * closes it (stopping every process) when the whole run ends.
 */
public final class StackExtension implements ParameterResolver {
    /** A stack that failed to start is not retried for every test (each try costs minutes). */
    private static volatile RuntimeException startFailure;

    @Override
    public boolean supportsParameter(ParameterContext p, ExtensionContext c) {
        return p.getParameter().getType() == Stack.class;
    }

    @Override
    public Object resolveParameter(ParameterContext p, ExtensionContext c) {
        if (startFailure != null) throw startFailure;
        return c.getRoot().getStore(ExtensionContext.Namespace.GLOBAL).computeIfAbsent(Stack.class, k -> {
            try {
                return Stack.start();
            } catch (Exception e) {
                startFailure = new IllegalStateException("could not start the stack: " + e.getMessage(), e);
                throw startFailure;
            }
        }, Stack.class);
    }
}
