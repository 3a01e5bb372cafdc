package io.moeserve.contract.deploy;

import java.util.LinkedHashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The metric names a PromQL expression (of a rule or a Grafana panel) selects. */
final class PromQl {
    private static final Set<String> KEYWORDS = Set.of("by", "without", "on", "ignoring", "group_left", "group_right",
            "bool", "and", "or", "unless", "offset", "inf", "nan", "atan2");
    private static final Pattern IDENT = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");

    private PromQl() {
    }

    static Set<String> metricNames(String expr) {
        String e = expr.replaceAll("\"(\\\\.|[^\"\\\\])*\"", "\"\"")      // string literals
                .replaceAll("'(\\\\.|[^'\\\\])*'", "''")
                .replaceAll("\\$\\{?\\w+}?", "1")                          // Grafana variables ($__rate_interval, ${x})
                .replaceAll("\\{[^}]*}", "")                               // label matchers
                .replaceAll("\\[[^]]*]", "")                               // ranges and subqueries
                .replaceAll("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " ")  // label lists
                .replaceAll("\\boffset\\s+\\S+", " ")                          // offset durations
                .replaceAll("(?<![\\w:])\\d+(\\.\\d+)?(e[+-]?\\d+)?(?![\\w:])", " ");  // numbers
        Set<String> out = new LinkedHashSet<>();
        Matcher m = IDENT.matcher(e);
        while (m.find()) {
            String id = m.group();
            int next = m.end();
            while (next < e.length() && Character.isWhitespace(e.charAt(next))) next++;
            boolean call = next < e.length() && e.charAt(next) == '(';
            if (call || KEYWORDS.contains(id.toLowerCase())) continue;
            out.add(id);
        }
        return out;
    }
}
