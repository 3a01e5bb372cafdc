package io.moeserve.core.engine;

import io.moeserve.core.TestModels;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;

/** The reference outputs in models/tiny-moe/golden.json (independent float32 PyTorch). */
public record Golden(String text, int[] inputIds, float[] lastLogits, int[][][] routerTopk, int[] greedyIds, float[] greedyMargins) {

    public static List<Golden> load() {
        try {
            JsonNode root = JsonMapper.builder().build().readTree(Files.readString(TestModels.tinyMoe().resolve("golden.json")));
            List<Golden> out = new ArrayList<>();
            for (JsonNode c : root.get("cases")) {
                JsonNode rt = c.get("router_topk");
                int[][][] topk = new int[rt.size()][][];
                for (int l = 0; l < rt.size(); l++) {
                    topk[l] = new int[rt.get(l).size()][];
                    for (int t = 0; t < rt.get(l).size(); t++) topk[l][t] = ints(rt.get(l).get(t));
                }
                out.add(new Golden(c.get("text").asString(), ints(c.get("input_ids")), floats(c.get("last_logits")), topk,
                        ints(c.get("greedy_ids")), floats(c.get("greedy_margins"))));
            }
            return out;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static int[] ints(JsonNode a) {
        int[] r = new int[a.size()];
        for (int i = 0; i < r.length; i++) r[i] = a.get(i).asInt();
        return r;
    }

    static float[] floats(JsonNode a) {
        float[] r = new float[a.size()];
        for (int i = 0; i < r.length; i++) r[i] = (float) a.get(i).asDouble();
        return r;
    }

    @Override
    public String toString() {
        return text.length() > 40 ? text.substring(0, 40) + "..." : text;
    }
}
