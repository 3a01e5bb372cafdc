package io.moeserve.core.tokenizer;

import io.moeserve.core.TestModels;
import io.moeserve.core.checkpoint.CheckpointException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Chat templates from tokenizer_config.json rendered through Jinjava as Hugging Face's apply_chat_template does. */
class ChatTemplateTest {
    static final List<ChatTemplate.Message> CHAT = List.of(
            new ChatTemplate.Message("user", "Who begat Enos?"),
            new ChatTemplate.Message("assistant", "Seth."),
            new ChatTemplate.Message("user", "And then?"));

    /** Mixtral-8x7B-Instruct's template: bos/eos tokens, alternation check with raise_exception, string +. */
    static final String MIXTRAL_TEMPLATE = "{{ bos_token }}{% for message in messages %}"
            + "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
            + "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
            + "{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}"
            + "{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token}}"
            + "{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}";

    @Test
    void tinyMoeTemplate_rendersEachContentOnItsLine() {
        ChatTemplate t = ChatTemplate.load(TestModels.tinyMoe());
        assertThat(t.template()).isEqualTo("{% for message in messages %}{{ message['content'] }}\n{% endfor %}");
        assertThat(t.render(CHAT, true)).isEqualTo("Who begat Enos?\nSeth.\nAnd then?\n");
    }

    @Test
    void configWithoutTemplate_usesTheDefault(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"bos_token\": \"<s>\", \"eos_token\": {\"content\": \"</s>\"}}");
        ChatTemplate t = ChatTemplate.load(dir);
        assertThat(t.template()).isEqualTo(ChatTemplate.DEFAULT_TEMPLATE);
        assertThat(t.render(CHAT, true)).isEqualTo("user: Who begat Enos?\nassistant: Seth.\nuser: And then?\nassistant:");
        assertThat(t.render(CHAT.subList(0, 1), false)).isEqualTo("user: Who begat Enos?\n");
    }

    @Test
    void noTokenizerConfig_usesTheDefault(@TempDir Path dir) {
        assertThat(ChatTemplate.load(dir).template()).isEqualTo(ChatTemplate.DEFAULT_TEMPLATE);
    }

    @Test
    void mixtralTemplate_rendersBosInstAndEos() {
        ChatTemplate t = new ChatTemplate(MIXTRAL_TEMPLATE, "<s>", "</s>");
        assertThat(t.render(CHAT, true)).isEqualTo("<s>[INST] Who begat Enos? [/INST]Seth.</s>[INST] And then? [/INST]");
    }

    @Test
    void templateCallingRaiseException_failsWithTheTemplatesMessage() {
        ChatTemplate t = new ChatTemplate(MIXTRAL_TEMPLATE, "<s>", "</s>");
        List<ChatTemplate.Message> bad = List.of(new ChatTemplate.Message("assistant", "I speak first"));
        assertThatThrownBy(() -> t.render(bad, true)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("chat template failed").hasMessageContaining("Conversation roles must alternate");
        List<ChatTemplate.Message> system = List.of(new ChatTemplate.Message("system", "be brief"));
        assertThatThrownBy(() -> t.render(system, true)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Conversation roles must alternate");
    }

    @Test
    void templateSyntaxError_isAClearError() {
        ChatTemplate t = new ChatTemplate("{% for m in messages %}{{ m['content'] }", "", "");
        assertThatThrownBy(() -> t.render(CHAT, true)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("chat template failed");
    }

    @Test
    void tokenizerConfigNotJson_namesTheFile(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("tokenizer_config.json"), "{nope");
        assertThatThrownBy(() -> ChatTemplate.load(dir)).isInstanceOf(CheckpointException.class)
                .hasMessageContaining("tokenizer_config.json");
    }
}
