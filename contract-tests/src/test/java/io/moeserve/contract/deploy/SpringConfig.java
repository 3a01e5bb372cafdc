package io.moeserve.contract.deploy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A service's application.yml as Spring Boot reads it, enough to tell what a deployment makes of it:
 * documents apply in order (profile documents only when their profile is active), an environment
 * variable in relaxed form (moeserve.router.model-dir = MOESERVE_ROUTER_MODELDIR) beats the file,
 * and ${NAME:default} placeholders resolve against the environment.
 */
final class SpringConfig {
    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([^}:]+)(?::([^}]*))?}");

    /** One document: the profile it is for (null = always) and its flattened keys. */
    private record Doc(String profile, Map<String, String> values) {
    }

    private final List<Doc> docs;

    private SpringConfig(List<Doc> docs) {
        this.docs = docs;
    }

    static SpringConfig of(Path applicationYml) {
        List<Doc> docs = new ArrayList<>();
        for (Map<String, Object> d : DeployYaml.loadAll(applicationYml)) {
            Map<String, String> flat = new LinkedHashMap<>();
            flatten("", d, flat);
            docs.add(new Doc(flat.remove("spring.config.activate.on-profile"), flat));
        }
        return new SpringConfig(docs);
    }

    private static void flatten(String prefix, Object node, Map<String, String> out) {
        if (node instanceof Map<?, ?> m) {
            for (var e : m.entrySet()) flatten(prefix.isEmpty() ? String.valueOf(e.getKey()) : prefix + "." + e.getKey(), e.getValue(), out);
        } else if (node instanceof List<?> l) {
            out.put(prefix, String.join(",", l.stream().map(String::valueOf).toList()));
            for (int i = 0; i < l.size(); i++) flatten(prefix + "[" + i + "]", l.get(i), out);
        } else {
            out.put(prefix, node == null ? "" : String.valueOf(node));
        }
    }

    /** Spring's environment-variable form of a property name. */
    static String envName(String property) {
        return property.replace("[", "_").replace("]", "").replace('.', '_').replace("-", "").toUpperCase(Locale.ROOT);
    }

    Set<String> profiles() {
        Set<String> p = new LinkedHashSet<>();
        for (Doc d : docs) if (d.profile != null) p.add(d.profile);
        return p;
    }

    /** Every key any document sets. */
    Set<String> keys() {
        Set<String> k = new LinkedHashSet<>();
        for (Doc d : docs) k.addAll(d.values.keySet());
        return k;
    }

    /** The raw (unresolved) value a key has under these profiles, ignoring the environment. */
    String raw(String key, Set<String> profiles) {
        String v = null;
        for (Doc d : docs) {
            if ((d.profile == null || profiles.contains(d.profile)) && d.values.containsKey(key)) v = d.values.get(key);
        }
        return v;
    }

    /** The value Spring binds for key; null when nothing sets it. Fails on a placeholder nobody sets. */
    String resolve(String key, Set<String> profiles, Map<String, String> env) {
        String fromEnv = env.get(envName(key));
        String v = fromEnv != null ? fromEnv : raw(key, profiles);
        return v == null ? null : placeholders(v, profiles, env, key);
    }

    private String placeholders(String value, Set<String> profiles, Map<String, String> env, String key) {
        Matcher m = PLACEHOLDER.matcher(value);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String name = m.group(1), def = m.group(2);
            String v = env.get(name);
            if (v == null && raw(name, profiles) != null) v = resolve(name, profiles, env);
            if (v == null) v = def;
            if (v == null) throw new MissingPlaceholderException(key, name);
            m.appendReplacement(out, Matcher.quoteReplacement(v));
        }
        m.appendTail(out);
        return out.toString();
    }

    /** Names in ${NAME...} placeholders of any document: environment variables the service reads. */
    Set<String> placeholderNames() {
        Set<String> names = new LinkedHashSet<>();
        for (Doc d : docs) {
            for (String v : d.values.values()) {
                Matcher m = PLACEHOLDER.matcher(v);
                while (m.find()) names.add(m.group(1));
            }
        }
        return names;
    }

    /** Placeholders without a default in the values in force under these profiles: must be set. */
    Set<String> requiredPlaceholders(Set<String> profiles) {
        Set<String> required = new LinkedHashSet<>();
        for (String key : keys()) {
            String v = raw(key, profiles);
            if (v == null) continue;
            Matcher m = PLACEHOLDER.matcher(v);
            while (m.find()) if (m.group(2) == null) required.add(m.group(1));
        }
        return required;
    }

    static final class MissingPlaceholderException extends IllegalStateException {
        MissingPlaceholderException(String key, String name) {
            super(key + " needs ${" + name + "}, which nothing sets");
        }
    }
}
