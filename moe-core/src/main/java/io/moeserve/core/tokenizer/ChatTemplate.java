package io.moeserve.core.tokenizer;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import io.moeserve.core.checkpoint.CheckpointException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Renders chat messages to a prompt with the model's Jinja chat template from
 * {@code tokenizer_config.json}, as {@code apply_chat_template} does. Models without a template get
 * {@link #DEFAULT_TEMPLATE}, documented in the README.
 */
public final class ChatTemplate {
    /** One line per message, "role: content", then "assistant:" when a reply is wanted. */
    public static final String DEFAULT_TEMPLATE =
            "{% for message in messages %}{{ message['role'] }}: {{ message['content'] }}\n{% endfor %}"
                    + "{% if add_generation_prompt %}assistant:{% endif %}";

    /** One chat message. */
    public record Message(String role, String content) {
    }

    private final String template;
    private final String bosToken;
    private final String eosToken;
    private final Jinjava jinja;

    public ChatTemplate(String template, String bosToken, String eosToken) {
        this.template = template;
        this.bosToken = bosToken;
        this.eosToken = eosToken;
        this.jinja = new Jinjava(JinjavaConfig.newBuilder().withFailOnUnknownTokens(false).build());
        jinja.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception",
                ChatTemplate.class, "raiseException", String.class));
    }

    public static ChatTemplate load(Path modelDir) {
        Path file = modelDir.resolve("tokenizer_config.json");
        if (!Files.exists(file)) return new ChatTemplate(DEFAULT_TEMPLATE, "", "");
        try {
            JsonNode c = JsonMapper.builder().build().readTree(Files.readString(file));
            String t = c.path("chat_template").isString() ? c.get("chat_template").asString() : DEFAULT_TEMPLATE;
            return new ChatTemplate(t, tokenString(c.get("bos_token")), tokenString(c.get("eos_token")));
        } catch (IOException | RuntimeException e) {
            throw new CheckpointException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static String tokenString(JsonNode n) {
        if (n == null || n.isNull()) return "";
        return n.isObject() ? n.path("content").asString("") : n.asString("");
    }

    public String render(List<Message> messages, boolean addGenerationPrompt) {
        Map<String, Object> ctx = new HashMap<>();
        ctx.put("messages", messages.stream().map(m -> Map.of("role", m.role(), "content", m.content())).toList());
        ctx.put("add_generation_prompt", addGenerationPrompt);
        ctx.put("bos_token", bosToken);
        ctx.put("eos_token", eosToken);
        RenderResult r = jinja.renderForResult(template, ctx);
        if (r.hasErrors()) {
            TemplateError error = r.getErrors().getFirst();
            // Jinjava reports only "Error invoking function"; the template's own words are in the cause.
            for (Throwable t = error.getException(); t != null; t = t.getCause()) {
                if (t instanceof RaisedException raised) {
                    throw new IllegalArgumentException("chat template failed: " + raised.getMessage(), raised);
                }
            }
            throw new IllegalArgumentException("chat template failed: " + error.getMessage(), error.getException());
        }
        return r.getOutput();
    }

    public String template() {
        return template;
    }

    /** Called by templates as raise_exception('...'), e.g. when roles do not alternate. */
    public static String raiseException(String message) {
        throw new RaisedException(message);
    }

    /** The message a template gave to raise_exception. */
    static final class RaisedException extends RuntimeException {
        RaisedException(String message) {
            super(message);
        }
    }
}
