package io.moeserve.router.api;

import tools.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;

/**
 * Typed, validated access to the fields of one JSON object of a request. A JSON null counts as
 * absent (clients send explicit nulls for unset options); a present value of the wrong type or out
 * of range is a 400 naming the field as {@code prefix + name}. Unknown fields are never looked at,
 * hence ignored, as OpenAI does.
 */
final class Fields {
    private final JsonNode node;
    private final String prefix;

    Fields(JsonNode node, String prefix) {
        this.node = node;
        this.prefix = prefix;
    }

    static Fields of(JsonNode node) {
        return new Fields(node, "");
    }

    String param(String name) {
        return prefix + name;
    }

    /** The raw value, null when absent or JSON null. */
    JsonNode get(String name) {
        JsonNode v = node.get(name);
        return v == null || v.isNull() ? null : v;
    }

    boolean has(String name) {
        return get(name) != null;
    }

    String string(String name) {
        JsonNode v = get(name);
        if (v == null) return null;
        if (!v.isString()) throw ApiException.invalidType(param(name), "a string", v);
        return v.stringValue();
    }

    String requiredString(String name) {
        String s = string(name);
        if (s == null) throw ApiException.missing(param(name));
        return s;
    }

    Boolean bool(String name) {
        JsonNode v = get(name);
        if (v == null) return null;
        if (!v.isBoolean()) throw ApiException.invalidType(param(name), "a boolean", v);
        return v.booleanValue();
    }

    boolean bool(String name, boolean dflt) {
        Boolean b = bool(name);
        return b == null ? dflt : b;
    }

    /** An integer in [min, max]; 16.0 counts as 16 (JSON has one number type), 16.5 does not. */
    Long integer(String name, long min, long max) {
        JsonNode v = get(name);
        if (v == null) return null;
        return integerValue(v, param(name), min, max);
    }

    static long integerValue(JsonNode v, String param, long min, long max) {
        if (!v.isNumber()) throw ApiException.invalidType(param, "an integer", v);
        boolean integral = v.isIntegralNumber()
                || (Double.isFinite(v.doubleValue()) && v.doubleValue() == Math.rint(v.doubleValue()));
        if (!integral) throw ApiException.invalidType(param, "an integer", v);
        if (!v.canConvertToLong() && !(v.isFloatingPointNumber() && Math.abs(v.doubleValue()) < 9.2e18)) {
            throw ApiException.invalidValue(param, "expected an integer between " + min + " and " + max
                    + ", but got " + v.asString() + " instead.");
        }
        long n = v.isIntegralNumber() ? v.longValue() : (long) v.doubleValue();
        if (n < min || n > max) {
            throw ApiException.invalidValue(param, "expected an integer between " + min + " and " + max
                    + ", but got " + n + " instead.");
        }
        return n;
    }

    /** A number in [min, max]. */
    Double number(String name, double min, double max) {
        JsonNode v = get(name);
        if (v == null) return null;
        if (!v.isNumber()) throw ApiException.invalidType(param(name), "a number", v);
        double d = v.doubleValue();
        if (!(d >= min && d <= max)) {
            throw ApiException.invalidValue(param(name), "expected a value between " + fmt(min) + " and " + fmt(max)
                    + ", but got " + v.asString() + " instead.");
        }
        return d;
    }

    /** A string or an array of strings (OpenAI's {@code stop}); null when absent. */
    List<String> stringOrStrings(String name) {
        JsonNode v = get(name);
        if (v == null) return null;
        if (v.isString()) return List.of(v.stringValue());
        if (!v.isArray()) throw ApiException.invalidType(param(name), "a string or an array of strings", v);
        List<String> out = new ArrayList<>(v.size());
        for (int i = 0; i < v.size(); i++) {
            JsonNode e = v.get(i);
            if (!e.isString()) throw ApiException.invalidType(param(name) + "[" + i + "]", "a string", e);
            out.add(e.stringValue());
        }
        return out;
    }

    /** Marker for {@link #onlyDefault}: an empty array or object is accepted. */
    static final Object EMPTY = new Object();

    /** The field must be absent, null or equal to one of the values the API can honour (else unsupported_parameter). */
    void onlyDefault(String name, String why, Object... accepted) {
        JsonNode v = get(name);
        if (v == null) return;
        for (Object a : accepted) {
            if (a instanceof Number n && v.isNumber() && v.doubleValue() == n.doubleValue()) return;
            if (a instanceof Boolean b && v.isBoolean() && v.booleanValue() == b) return;
            if (a instanceof String s && v.isString() && v.stringValue().equals(s)) return;
            if (a == EMPTY && v.isContainer() && v.isEmpty()) return;
        }
        throw ApiException.unsupported(param(name), why);
    }

    private static String fmt(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }
}
