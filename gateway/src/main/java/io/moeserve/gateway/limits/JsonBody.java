package io.moeserve.gateway.limits;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

import io.moeserve.core.api.OpenAiError;
import io.moeserve.gateway.errors.GatewayException;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The gateway's only look inside a request body: it must be UTF-8 and exactly one JSON object
 * (else 400 in OpenAI's shape, before a router spends anything on it). The fields' meaning is
 * the router's business. One rewrite exists: turning {@code stream_options.include_usage} on so
 * a streamed response reports the tokens its key must be charged.
 */
final class JsonBody {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private JsonBody() {
    }

    /**
     * Throws a 400 {@link GatewayException} unless {@code body} is one UTF-8 JSON object; returns
     * whether it asks for a stream ({@code "stream": true}), read in the same pass so that a
     * non-streamed request is parsed only once.
     */
    static boolean validate(byte[] body) {
        requireUtf8(body);
        try (JsonParser parser = JSON.createParser(body)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw invalid("the body must be a JSON object");
            }
            boolean stream = false;
            while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
                boolean isStream = "stream".equals(parser.currentName());
                JsonToken value = parser.nextToken();
                if (isStream) {
                    stream = value == JsonToken.VALUE_TRUE;  // a repeated field: the last one counts, as in a tree
                }
                parser.skipChildren();
            }
            if (parser.nextToken() != null) {
                throw invalid("unexpected content after the JSON object");
            }
            return stream;
        } catch (JacksonException e) {
            throw invalid(describe(e));
        }
    }

    /** Jackson's message without its source dump, plus where in the body it went wrong. */
    private static String describe(JacksonException e) {
        String message = String.valueOf(e.getOriginalMessage());
        int cut = message.indexOf(" (start marker");
        message = (cut > 0 ? message.substring(0, cut) : message).lines().findFirst().orElse("invalid JSON");
        var at = e.getLocation();
        return at == null ? message : message + " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
    }

    /**
     * For a {@code "stream": true} request that did not ask for usage, the body with
     * {@code stream_options.include_usage = true}; null if nothing needs changing.
     * Call after {@link #validate}.
     */
    static byte[] withStreamUsage(byte[] body) {
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (JacksonException e) {
            throw invalid(describe(e));
        }
        if (!(root instanceof ObjectNode object) || !object.path("stream").isBoolean() || !object.get("stream").asBoolean()) {
            return null;
        }
        JsonNode options = object.get("stream_options");
        if (options != null && !options.isNull() && !options.isObject()) {
            return null;  // a malformed stream_options is the router's to reject, untouched
        }
        if (options instanceof ObjectNode o && o.path("include_usage").isBoolean() && o.get("include_usage").asBoolean()) {
            return null;
        }
        ObjectNode rewritten = options instanceof ObjectNode o ? o : object.putObject("stream_options");
        rewritten.put("include_usage", true);
        return JSON.writeValueAsBytes(object);
    }

    private static void requireUtf8(byte[] body) {
        try {
            StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(body));
        } catch (CharacterCodingException e) {
            throw invalid("the body is not valid UTF-8");
        }
    }

    private static GatewayException invalid(String detail) {
        return new GatewayException(400, OpenAiError.invalidJson(detail));
    }
}
