package io.moeserve.contract.deploy;

import io.moeserve.contract.support.Repo;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The live planner's command line, read from its source (ops is not on this module's classpath):
 * the picocli command name, each {@code @Option}'s name and default, the HTTP paths it serves, and the
 * jar that runs it (the ops module's shaded finalName).
 */
record PlannerCli(String command, Map<String, String> defaults, java.util.Set<String> flags, String source, String jar) {
    static final Path SOURCE = Path.of("ops/src/main/java/io/moeserve/ops/planner/live/PlannerCommand.java");
    private static final Pattern COMMAND = Pattern.compile("@Command\\(\\s*name\\s*=\\s*\"([^\"]+)\"");
    private static final Pattern NAME = Pattern.compile("names\\s*=\\s*\"(--[\\w-]+)\"");
    private static final Pattern DEFAULT = Pattern.compile("defaultValue\\s*=\\s*\"([^\"]*)\"");
    private static final Pattern FINAL_NAME = Pattern.compile("<finalName>([^<]+)</finalName>");

    static PlannerCli read() {
        String src = ServiceModule.read(Repo.root().resolve(SOURCE));
        Matcher c = COMMAND.matcher(src);
        if (!c.find()) throw new IllegalStateException(SOURCE + " has no @Command name");
        Map<String, String> defaults = new LinkedHashMap<>();
        java.util.Set<String> flags = new java.util.HashSet<>();
        String[] options = src.split("@Option\\(");
        for (int i = 1; i < options.length; i++) {
            String annotation = options[i].substring(0, options[i].indexOf(';'));  // up to the end of the field
            Matcher n = NAME.matcher(annotation), d = DEFAULT.matcher(annotation);
            if (!n.find()) throw new IllegalStateException(SOURCE + ": an @Option without a single name: " + annotation);
            boolean flag = Pattern.compile("\\)\\s*boolean\\s+\\w+\\s*$").matcher(annotation).find(); // a boolean field: no value
            if (flag) flags.add(n.group(1));
            defaults.put(n.group(1), flag ? "false" : d.find() ? d.group(1) : null);
        }
        Matcher jar = FINAL_NAME.matcher(ServiceModule.read(Repo.root().resolve("ops/pom.xml")));
        if (!jar.find()) throw new IllegalStateException("ops/pom.xml names no shaded jar (finalName)");
        return new PlannerCli(c.group(1), defaults, flags, src, "ops/target/" + jar.group(1) + ".jar");
    }

    /**
     * The values the planner runs with given these arguments ("--name=value", "--name value", or "--flag"):
     * its defaults overridden by the arguments. An argument it has no option for fails.
     */
    Map<String, String> effective(List<String> args) {
        Map<String, String> out = new LinkedHashMap<>(defaults);
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            int eq = a.indexOf('=');
            String name = eq < 0 ? a : a.substring(0, eq);
            if (!defaults.containsKey(name)) {
                throw new AssertionError("planner has no option " + name + " (options: " + defaults.keySet() + ")");
            }
            if (flags.contains(name) && eq < 0) out.put(name, "true");
            else if (eq >= 0) out.put(name, a.substring(eq + 1));
            else if (i + 1 < args.size()) out.put(name, args.get(++i));
            else throw new AssertionError("planner option " + name + " has no value");
        }
        return out;
    }

    /** Whether the planner's HTTP server answers this path. */
    boolean serves(String path) {
        return source.contains("createContext(\"" + path + "\"");
    }

    /** A duration as the planner, Spring and Compose write them here: 500ms, 20s, 2m, 1h. */
    static Duration duration(String s) {
        Matcher m = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h)").matcher(s.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) throw new IllegalArgumentException("not a duration with a unit: '" + s + "'");
        double v = Double.parseDouble(m.group(1));
        long millis = Math.round(switch (m.group(2)) {
            case "ms" -> v;
            case "s" -> v * 1_000;
            case "m" -> v * 60_000;
            default -> v * 3_600_000;
        });
        return Duration.ofMillis(millis);
    }
}
