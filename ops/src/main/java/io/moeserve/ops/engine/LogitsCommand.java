package io.moeserve.ops.engine;

import io.moeserve.core.engine.Engine;
import io.moeserve.core.engine.ForwardPass;
import io.moeserve.core.engine.Routing;
import io.moeserve.core.engine.SeqInput;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code moe logits}: one JSON object with the last position's logits and the experts chosen for
 * every prompt token in every layer (descending weight), the shape golden.json uses.
 */
@Command(name = "logits", description = "Print last-position logits and per-layer top-k experts as JSON.")
public final class LogitsCommand implements Callable<Integer> {
    @Mixin
    ModelOption model;

    @Option(names = "--ids", required = true, split = ",", description = "prompt token ids, comma-separated")
    int[] ids;

    @Override
    public Integer call() {
        if (ids.length == 0) throw new IllegalArgumentException("--ids is empty: at least one token id is needed");
        try (Engine engine = Engine.load(model.model, model.int8Experts)) {
            if (ids.length > engine.config().maxPositions()) {
                throw new IllegalArgumentException("--ids has " + ids.length + " tokens but the model's context is "
                        + engine.config().maxPositions() + " (max_position_embeddings)");
            }
            ForwardPass pass = engine.run(engine.begin(List.of(new SeqInput(engine.newCache(), ids))));
            float[] logits = pass.logits()[0];
            StringBuilder sb = new StringBuilder(logits.length * 12).append("{\"last_logits\":[");
            for (int i = 0; i < logits.length; i++) sb.append(i == 0 ? "" : ",").append(logits[i]);
            sb.append("],\"router_topk\":[");
            for (int l = 0; l < pass.routings().size(); l++) {
                Routing r = pass.routings().get(l);
                sb.append(l == 0 ? "[" : ",[");
                for (int t = 0; t < r.n(); t++) {
                    sb.append(t == 0 ? "[" : ",[");
                    for (int j = 0; j < r.k(); j++) sb.append(j == 0 ? "" : ",").append(r.expert(t, j));
                    sb.append(']');
                }
                sb.append(']');
            }
            System.out.println(sb.append("]}"));
        }
        return 0;
    }
}
