package io.moeserve.router.api;

import io.moeserve.router.model.ModelRuntime;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;

import java.util.List;

/** {@code GET /v1/models} and {@code GET /v1/models/{id}}, with OpenAI's model objects plus vLLM's max_model_len. */
@RestController
public class ModelsController {
    record ModelObject(String id, String object, long created, String ownedBy, String root, int maxModelLen) {
        static ModelObject of(ModelRuntime m) {
            return new ModelObject(m.modelId(), "model", m.createdEpochSeconds(), "moeserve", m.modelId(), m.maxContext());
        }
    }

    record ModelList(String object, List<ModelObject> data) {
    }

    private final ServedModels models;

    public ModelsController(ServedModels models) {
        this.models = models;
    }

    @GetMapping("/v1/models")
    public ResponseEntity<byte[]> list() {
        return ApiJson.ok(new ModelList("list", models.all().stream().map(ModelObject::of).toList()));
    }

    // {*id}: model ids may contain slashes ("org/name"), as Hugging Face ids do
    @GetMapping("/v1/models/{*id}")
    public ResponseEntity<byte[]> get(@PathVariable String id) {
        return ApiJson.ok(ModelObject.of(models.require(id.startsWith("/") ? id.substring(1) : id)));
    }
}
