package io.moeserve.contract.deploy;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** Plain YAML (anchors, several documents) read as maps and lists, plus null-safe navigation. */
final class DeployYaml {
    private DeployYaml() {
    }

    static List<Map<String, Object>> loadAll(Path file) {
        try {
            List<Map<String, Object>> docs = new ArrayList<>();
            for (Object doc : new Yaml(new SafeConstructor(new LoaderOptions())).loadAll(Files.readString(file))) {
                if (doc != null) docs.add(map(doc));
            }
            return docs;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Map<String, Object> load(Path file) {
        List<Map<String, Object>> docs = loadAll(file);
        if (docs.size() != 1) throw new IllegalStateException(file + " has " + docs.size() + " documents, expected one");
        return docs.getFirst();
    }

    /** The value at a dotted path of map keys (keys themselves may not contain dots), or null. */
    static Object at(Object node, String path) {
        Object cur = node;
        for (String k : path.split("\\.")) {
            if (!(cur instanceof Map<?, ?> m)) return null;
            cur = m.get(k);
        }
        return cur;
    }

    static String str(Object node, String path) {
        Object v = at(node, path);
        return v == null ? null : String.valueOf(v);
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object node) {
        return node instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }

    static Map<String, Object> mapAt(Object node, String path) {
        return map(at(node, path));
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(Object node) {
        return node instanceof List<?> l ? (List<Object>) l : List.of();
    }

    static List<Object> listAt(Object node, String path) {
        return list(at(node, path));
    }

    static List<Map<String, Object>> maps(Object list) {
        return list(list).stream().filter(Objects::nonNull).map(DeployYaml::map).toList();
    }
}
