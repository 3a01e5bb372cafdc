package io.moeserve.router.api;

import io.moeserve.core.tokenizer.ChatTemplate;
import tools.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Validates {@code messages} and renders them with the model's chat template. Roles: system,
 * user, assistant, and developer (given to the template as system, since templates predate it).
 * Content: a string, or an array of {@code {"type":"text","text":...}} parts joined with a newline
 * (vLLM's rule); images, audio, tool calls and tool messages are refused with a 400.
 */
final class ChatMessages {
    private static final Set<String> ROLES = Set.of("system", "user", "assistant", "developer");

    private ChatMessages() {
    }

    static List<ChatTemplate.Message> parse(JsonNode messages) {
        if (messages == null) throw ApiException.missing("messages");
        if (!messages.isArray()) throw ApiException.invalidType("messages", "an array", messages);
        if (messages.isEmpty()) throw ApiException.invalidValue("messages", "expected a non-empty array.");
        List<ChatTemplate.Message> out = new ArrayList<>(messages.size());
        for (int i = 0; i < messages.size(); i++) {
            String param = "messages[" + i + "]";
            JsonNode m = messages.get(i);
            if (!m.isObject()) throw ApiException.invalidType(param, "an object", m);
            Fields f = new Fields(m, param + ".");
            String role = f.requiredString("role");
            if (role.equals("tool") || role.equals("function")) {
                throw ApiException.unsupportedValue(param + ".role", "does not support '" + role + "': this server has no tool calling.");
            }
            if (!ROLES.contains(role)) {
                throw ApiException.invalidValue(param + ".role", "expected one of system, user, assistant, developer, but got '"
                        + role + "'.");
            }
            for (String unsupported : List.of("tool_calls", "function_call", "audio")) {
                if (f.has(unsupported)) throw ApiException.unsupported(param + "." + unsupported, "is not supported by this server.");
            }
            f.string("name");  // allowed by OpenAI; type-checked, not given to the template
            out.add(new ChatTemplate.Message(role.equals("developer") ? "system" : role, content(f, param)));
        }
        return out;
    }

    private static String content(Fields f, String param) {
        JsonNode c = f.get("content");
        String p = param + ".content";
        if (c == null) throw ApiException.missing(p);
        if (c.isString()) return c.stringValue();
        if (!c.isArray()) throw ApiException.invalidType(p, "a string or an array of content parts", c);
        List<String> texts = new ArrayList<>(c.size());
        for (int k = 0; k < c.size(); k++) {
            String pp = p + "[" + k + "]";
            JsonNode part = c.get(k);
            if (!part.isObject()) throw ApiException.invalidType(pp, "an object", part);
            Fields pf = new Fields(part, pp + ".");
            String type = pf.requiredString("type");
            if (!type.equals("text")) {
                throw ApiException.unsupportedValue(pp + ".type", "does not support '" + type + "': this model reads text only.");
            }
            texts.add(pf.requiredString("text"));
        }
        return String.join("\n", texts);
    }
}
