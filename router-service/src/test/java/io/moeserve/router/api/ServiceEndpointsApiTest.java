package io.moeserve.router.api;

import io.moeserve.router.model.ModelRuntime;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import tools.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** /v1/models, /health, /metrics, /tokenize and /detokenize. */
class ServiceEndpointsApiTest extends ApiTestSupport {
    @Autowired
    ModelRuntime model;

    @Test
    void models_listAndGet_likeOpenAi() throws Exception {
        JsonNode list = get("/v1/models").json();
        assertThat(list.get("object").asString()).isEqualTo("list");
        assertThat(list.get("data").size()).isEqualTo(1);
        JsonNode m = list.at("/data/0");
        assertThat(m.get("id").asString()).isEqualTo("tiny-moe");
        assertThat(m.get("object").asString()).isEqualTo("model");
        assertThat(m.get("owned_by").asString()).isEqualTo("moeserve");
        assertThat(m.get("created").asLong()).isPositive();
        assertThat(m.get("max_model_len").asInt()).isEqualTo(1024);
        assertThat(get("/v1/models/tiny-moe").json()).isEqualTo(m);
    }

    @Test
    void health_isOkOnceTheModelIsLoaded() throws Exception {
        Reply r = get("/health");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.json().get("model").asString()).isEqualTo("tiny-moe");
    }

    @Test
    void metrics_arePrometheusTextWithVllmNames() throws Exception {
        post("/v1/completions", "{\"model\":\"tiny-moe\",\"prompt\":\"hi\",\"max_tokens\":2}");
        Reply r = get("/metrics");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type").orElse("")).startsWith("text/plain");
        assertThat(r.body()).contains("vllm:generation_tokens").contains("vllm:num_requests_running{model_name=\"tiny-moe\"}");
    }

    @Test
    void tokenizeThenDetokenize_roundTrips() throws Exception {
        JsonNode t = post("/tokenize", "{\"model\":\"tiny-moe\",\"prompt\":\"Once upon a time\"}").json();
        int[] expected = model.tokenizer().encode("Once upon a time");
        assertThat(t.get("count").asInt()).isEqualTo(expected.length);
        assertThat(t.get("max_model_len").asInt()).isEqualTo(1024);
        List<Integer> ids = new ArrayList<>();
        t.get("tokens").forEach(n -> ids.add(n.asInt()));
        assertThat(ids).containsExactly(java.util.Arrays.stream(expected).boxed().toArray(Integer[]::new));
        JsonNode d = post("/detokenize", "{\"model\":\"tiny-moe\",\"tokens\":" + t.get("tokens") + "}").json();
        assertThat(d.get("prompt").asString()).isEqualTo("Once upon a time");
    }

    @Test
    void tokenizeMessages_countsWhatChatBills() throws Exception {
        String messages = "[{\"role\":\"user\",\"content\":\"Tell me about the king.\"}]";
        JsonNode t = post("/tokenize", "{\"model\":\"tiny-moe\",\"messages\":" + messages + "}").json();
        JsonNode c = post("/v1/chat/completions", "{\"model\":\"tiny-moe\",\"max_tokens\":1,\"messages\":" + messages + "}").json();
        assertThat(t.get("count").asInt()).isEqualTo(c.at("/usage/prompt_tokens").asInt());
    }
}
