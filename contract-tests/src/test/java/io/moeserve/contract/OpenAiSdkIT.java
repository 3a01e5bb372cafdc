package io.moeserve.contract;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import com.openai.models.models.Model;
import io.moeserve.contract.support.Stack;
import io.moeserve.contract.support.StackExtension;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The official OpenAI Java SDK against the gateway of a running stack, configured with nothing but
 * the base URL and an API key: what any OpenAI client user would do.
 */
@ExtendWith(StackExtension.class)
class OpenAiSdkIT {
    static OpenAIClient client;

    @BeforeAll
    static void client(Stack stack) {
        client = OpenAIOkHttpClient.builder().baseUrl(stack.gatewayV1()).apiKey(stack.apiKey).build();
    }

    static ChatCompletionCreateParams chat(long maxTokens) {
        return ChatCompletionCreateParams.builder().model(Stack.MODEL)
                .addSystemMessage("You are a storyteller.")
                .addUserMessage("Tell me about the king.")
                .maxCompletionTokens(maxTokens).temperature(0.0).build();
    }

    @Test
    void chatCompletion() {
        ChatCompletion c = client.chat().completions().create(chat(16)).validate();
        assertThat(c.id()).startsWith("chatcmpl-");
        assertThat(c.model()).isEqualTo(Stack.MODEL);
        assertThat(c.choices()).hasSize(1);
        ChatCompletion.Choice choice = c.choices().getFirst();
        assertThat(choice.message().content()).hasValueSatisfying(text -> assertThat(text).isNotEmpty());
        assertThat(choice.finishReason().asString()).isIn("stop", "length");
        assertThat(c.usage()).hasValueSatisfying(u -> {
            assertThat(u.promptTokens()).isPositive();
            assertThat(u.completionTokens()).isBetween(1L, 16L);
            assertThat(u.totalTokens()).isEqualTo(u.promptTokens() + u.completionTokens());
            assertThat(u.promptTokensDetails()).isPresent();
        });
    }

    @Test
    void completion() {
        Completion c = client.completions().create(CompletionCreateParams.builder().model(Stack.MODEL)
                .prompt("Once upon a time").maxTokens(16).temperature(0.0).build()).validate();
        assertThat(c.id()).startsWith("cmpl-");
        assertThat(c.choices()).hasSize(1);
        assertThat(c.choices().getFirst().text()).isNotEmpty();
        assertThat(c.choices().getFirst().finishReason().asString()).isIn("stop", "length");
        assertThat(c.usage()).hasValueSatisfying(u -> assertThat(u.completionTokens()).isBetween(1L, 16L));
    }

    @Test
    void streamedChat_chunksArriveOneByOne_andMakeTheGreedyText() {
        String whole = client.chat().completions().create(chat(48)).choices().getFirst().message().content().orElseThrow();
        // warm-up: the SDK's first streamed chunk pays for loading its SSE and chunk classes, which would
        // hold back the first arrival and make any stream look bursty
        try (StreamResponse<ChatCompletionChunk> warm = client.chat().completions().createStreaming(chat(2))) {
            warm.stream().forEach(ChatCompletionChunk::validate);
        }
        List<Long> arrivals = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        String finish = null;
        long start = System.nanoTime();
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(chat(48))) {
            for (ChatCompletionChunk chunk : (Iterable<ChatCompletionChunk>) stream.stream()::iterator) {
                chunk.validate();
                arrivals.add(System.nanoTime());
                for (ChatCompletionChunk.Choice ch : chunk.choices()) {
                    ch.delta().content().ifPresent(text::append);
                    if (ch.finishReason().isPresent()) finish = ch.finishReason().get().asString();
                }
            }
        }
        assertThat(text.toString()).isEqualTo(whole);
        assertThat(finish).isIn("stop", "length");
        assertThat(arrivals.size()).as("one chunk per token").isGreaterThan(10);
        // Chunks sent as they are generated spread over the generation; a buffered reply arrives in one burst.
        long spread = arrivals.getLast() - arrivals.getFirst(), total = arrivals.getLast() - start;
        assertThat((double) spread / total).as("first-to-last chunk spread / request time").isGreaterThan(0.3);
    }

    @Test
    void listAndRetrieveModels() {
        List<Model> models = client.models().list().data();
        assertThat(models).extracting(Model::id).containsExactly(Stack.MODEL);
        Model m = client.models().retrieve(Stack.MODEL).validate();
        assertThat(m.ownedBy()).isEqualTo("moeserve");
        assertThat(m.created()).isPositive();
    }

    @Test
    void theRouterAlone_speaksTheSameApi(Stack stack) {
        OpenAIClient direct = OpenAIOkHttpClient.builder().baseUrl(stack.routerUrl() + "/v1").apiKey("unused").build();
        String viaRouter = direct.chat().completions().create(chat(12)).choices().getFirst().message().content().orElseThrow();
        String viaGateway = client.chat().completions().create(chat(12)).choices().getFirst().message().content().orElseThrow();
        assertThat(viaRouter).isEqualTo(viaGateway);
    }
}
