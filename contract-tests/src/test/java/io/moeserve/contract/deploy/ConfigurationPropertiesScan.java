package io.moeserve.contract.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The properties a module binds with {@code @ConfigurationProperties} records, read from its sources:
 * each record component is a property (prefix + kebab-case name), a component whose type is a record
 * of the same file is a nested group, a Map component a prefix of free keys.
 */
record ConfigurationPropertiesScan(Set<String> properties, Set<String> mapPrefixes) {

    private static final Pattern ANNOTATION = Pattern.compile(
            "@ConfigurationProperties\\(\\s*(?:(?:prefix|value)\\s*=\\s*)?\"([^\"]+)\"\\s*\\)");
    private static final Pattern RECORD = Pattern.compile("\\brecord\\s+(\\w+)\\s*(?:<[^>]*>)?\\s*\\(");

    static ConfigurationPropertiesScan of(Path sources) {
        Set<String> props = new LinkedHashSet<>(), maps = new LinkedHashSet<>();
        try (var files = Files.walk(sources)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                String text = Files.readString(f);
                Matcher a = ANNOTATION.matcher(text);
                while (a.find()) {
                    Matcher r = RECORD.matcher(text);
                    if (r.find(a.end())) collect(text, r.end() - 1, a.group(1), props, maps, 0);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new ConfigurationPropertiesScan(props, maps);
    }

    private static void collect(String text, int openParen, String prefix, Set<String> props, Set<String> maps, int depth) {
        for (String component : components(text, openParen)) {
            String c = component.replaceAll("\"(\\\\.|[^\"\\\\])*\"", "\"\"")  // string contents may hold anything
                    .replaceAll("@[\\w.]+(\\([^)]*\\))?", " ").trim();
            int cut = c.lastIndexOf(' ');
            if (cut < 0) continue;
            String type = c.substring(0, cut).trim(), name = c.substring(cut + 1).trim();
            String key = prefix + "." + kebab(name);
            int nested = nestedRecord(text, type);
            if (nested >= 0 && depth < 5) collect(text, nested, key, props, maps, depth + 1);
            else if (type.startsWith("Map<")) maps.add(key);
            else props.add(key);
        }
    }

    /** Position of the '(' of "record TYPE(" in the same file, or -1. */
    private static int nestedRecord(String text, String type) {
        Matcher m = Pattern.compile("\\brecord\\s+" + Pattern.quote(type) + "\\s*\\(").matcher(text);
        return m.find() ? m.end() - 1 : -1;
    }

    /** The comma-separated components between the parenthesis at open and its match. */
    private static List<String> components(String text, int open) {
        List<String> out = new ArrayList<>();
        int depth = 0, start = open + 1;
        boolean inString = false;
        for (int i = open; i < text.length(); i++) {
            char ch = text.charAt(i);
            if (inString) {
                if (ch == '\\') i++;
                else if (ch == '"') inString = false;
                continue;
            }
            switch (ch) {
                case '"' -> inString = true;
                case '(', '<' -> depth++;
                case '>' -> depth--;
                case ')' -> {
                    if (--depth == 0) {
                        if (!text.substring(start, i).isBlank()) out.add(text.substring(start, i));
                        return out;
                    }
                }
                case ',' -> {
                    if (depth == 1) {
                        out.add(text.substring(start, i));
                        start = i + 1;
                    }
                }
                default -> {
                }
            }
        }
        throw new IllegalStateException("unbalanced record header at " + open);
    }

    static String kebab(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(java.util.Locale.ROOT);
    }

    /** Whether an environment variable binds to one of these properties (Spring's relaxed binding). */
    boolean bindsEnv(String env) {
        for (String p : properties) if (SpringConfig.envName(p).equals(env)) return true;
        for (String m : mapPrefixes) if (env.startsWith(SpringConfig.envName(m) + "_")) return true;
        return false;
    }

    Set<String> envNames() {
        Set<String> out = new LinkedHashSet<>();
        for (String p : properties) out.add(SpringConfig.envName(p));
        return out;
    }
}
