package io.moeserve.router.api;

import io.moeserve.core.api.OpenAiError;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.stereotype.Component;
import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Reads a request body as a JSON object, strictly: bounded in size while it streams in (so a
 * chunked body cannot get around the limit), UTF-8 that does not decode is refused instead of being
 * replaced with U+FFFD, duplicate keys and trailing content are errors. Requests are parsed to a tree
 * and validated field by field ({@link Fields}), so every error can name its parameter.
 */
@Component
public class JsonBody {
    private static final JsonMapper STRICT = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private final long limit;

    public JsonBody(ApiProperties props) {
        this.limit = props.maxRequestBytes().toBytes();
    }

    public ObjectNode read(HttpServletRequest request) throws IOException {
        if (request.getContentLengthLong() > limit) throw ApiException.of(OpenAiError.requestTooLarge(limit));
        return parse(readBounded(request.getInputStream()));
    }

    private byte[] readBounded(InputStream in) throws IOException {
        byte[] body = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limit + 1));
        if (body.length > limit) throw ApiException.of(OpenAiError.requestTooLarge(limit));
        return body;
    }

    /** Parses a complete body; package-visible for unit tests. */
    static ObjectNode parse(byte[] body) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(body)).toString();
        } catch (CharacterCodingException e) {
            throw ApiException.of(OpenAiError.invalidJson("the body is not valid UTF-8"));
        }
        if (text.isBlank()) throw ApiException.of(OpenAiError.invalidJson("the body is empty"));
        JsonNode tree;
        try {
            tree = STRICT.readTree(text);
        } catch (JacksonException e) {
            String detail = String.valueOf(e.getOriginalMessage());
            throw ApiException.of(OpenAiError.invalidJson(detail.length() > 200 ? detail.substring(0, 200) + "..." : detail));
        }
        if (!(tree instanceof ObjectNode object)) {
            throw ApiException.of(OpenAiError.invalidJson("expected a JSON object, got " + tree.getNodeType()));
        }
        return object;
    }
}
