package io.moeserve.contract.deploy;

import io.moeserve.contract.support.Repo;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * docker-compose.yml as Docker Compose sees it with a given shell environment: ${VAR}, ${VAR:-default},
 * ${VAR-default}, ${VAR:?error} and $$ interpolated in every string, environment lists turned into maps.
 */
final class Compose {
    private static final Pattern VAR = Pattern.compile("\\$\\$|\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?}");

    final Map<String, Object> file;

    private Compose(Map<String, Object> file) {
        this.file = file;
    }

    static Compose load(Map<String, String> shell) {
        Map<String, Object> raw = DeployYaml.load(Repo.root().resolve("docker-compose.yml"));
        return new Compose(DeployYaml.map(interpolate(raw, shell)));
    }

    Map<String, Object> services() {
        return DeployYaml.mapAt(file, "services");
    }

    Map<String, Object> service(String name) {
        Map<String, Object> s = DeployYaml.map(services().get(name));
        if (s.isEmpty()) throw new AssertionError("docker-compose.yml has no service " + name + " (services: " + services().keySet() + ")");
        return s;
    }

    /** The service's environment as a map (compose accepts a map or a list of NAME=value). */
    Map<String, String> env(String service) {
        Object env = service(service).get("environment");
        Map<String, String> out = new LinkedHashMap<>();
        if (env instanceof Map<?, ?> m) {
            m.forEach((k, v) -> out.put(String.valueOf(k), v == null ? "" : String.valueOf(v)));
        } else {
            for (Object o : DeployYaml.list(env)) {
                String s = String.valueOf(o);
                int eq = s.indexOf('=');
                out.put(eq < 0 ? s : s.substring(0, eq), eq < 0 ? "" : s.substring(eq + 1));
            }
        }
        return out;
    }

    /** The healthcheck test as one string ("CMD http-ok 8081 /path" -> "http-ok 8081 /path"). */
    String healthcheck(String service) {
        Object test = DeployYaml.at(service(service), "healthcheck.test");
        if (test instanceof List<?> l) {
            List<String> parts = new ArrayList<>(l.stream().map(String::valueOf).toList());
            if (!parts.isEmpty() && parts.getFirst().startsWith("CMD")) parts.removeFirst();
            return String.join(" ", parts);
        }
        return test == null ? null : String.valueOf(test);
    }

    private static Object interpolate(Object node, Map<String, String> shell) {
        if (node instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            m.forEach((k, v) -> out.put(String.valueOf(k), interpolate(v, shell)));
            return out;
        }
        if (node instanceof List<?> l) return l.stream().map(v -> interpolate(v, shell)).toList();
        if (node instanceof String s) return interpolate(s, shell);
        return node;
    }

    static String interpolate(String s, Map<String, String> shell) {
        Matcher m = VAR.matcher(s);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String rep;
            if (m.group().equals("$$")) {
                rep = "$";
            } else {
                String name = m.group(1), op = m.group(2), arg = m.group(3);
                String v = shell.get(name);
                boolean unset = v == null, empty = unset || v.isEmpty();
                if (op == null) rep = unset ? "" : v;
                else if (op.equals(":-")) rep = empty ? arg : v;
                else if (op.equals("-")) rep = unset ? arg : v;
                else if ((op.equals(":?") && empty) || (op.equals("?") && unset)) throw new MissingVariableException(name, arg);
                else rep = v;
            }
            m.appendReplacement(out, Matcher.quoteReplacement(rep));
        }
        m.appendTail(out);
        return out.toString();
    }

    static final class MissingVariableException extends IllegalStateException {
        MissingVariableException(String name, String message) {
            super("${" + name + "} is required: " + message);
        }
    }
}
