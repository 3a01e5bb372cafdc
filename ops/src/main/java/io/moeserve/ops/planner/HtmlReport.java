package io.moeserve.ops.planner;

import java.util.List;
import java.util.Locale;

/**
 * A self-contained HTML page (inline CSS, no scripts or external files): the comparison table and,
 * per method, a heatmap of token load per instance (columns) and layer (rows), coloured by load
 * over the layer's mean: white = mean, red = above, blue = below.
 */
public final class HtmlReport {

    private HtmlReport() {
    }

    public static String render(String title, List<PlanComparison.MethodReport> reports) {
        StringBuilder h = new StringBuilder(64 * 1024);
        h.append("<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>").append(esc(title)).append("</title>\n")
                .append("<style>body{font:13px system-ui,sans-serif;margin:24px;color:#222}")
                .append("table{border-collapse:collapse}td,th{padding:2px 6px;text-align:right}")
                .append("table.sum td,table.sum th{border-bottom:1px solid #ddd}")
                .append("table.heat td{width:14px;height:12px;padding:0;border:1px solid #fff}")
                .append("table.heat th{font-weight:normal;color:#888;font-size:10px}")
                .append("h2{margin-top:28px}</style></head><body>\n");
        h.append("<h1>").append(esc(title)).append("</h1>\n<table class=\"sum\"><tr><th>method</th><th>max/mean load</th>")
                .append("<th>p99 over windows</th><th>messages / token / layer</th><th>migration bytes / re-plan</th>")
                .append("<th>solve s</th><th>gap</th><th>status</th></tr>\n");
        for (PlanComparison.MethodReport r : reports) {
            h.append("<tr><td style=\"text-align:left\">").append(esc(r.name())).append("</td><td>").append(f(r.maxMeanLoad()))
                    .append("</td><td>").append(f(r.maxMeanLoadP99())).append("</td><td>").append(f(r.messagesPerToken()))
                    .append("</td><td>").append(r.migrationBytes()).append("</td><td>").append(f(r.solveSeconds()))
                    .append("</td><td>").append(Double.isNaN(r.gap()) ? "-" : String.format(Locale.ROOT, "%.2f%%", 100 * r.gap()))
                    .append("</td><td style=\"text-align:left\">").append(esc(r.status())).append("</td></tr>\n");
        }
        h.append("</table>\n");
        for (PlanComparison.MethodReport r : reports) {
            h.append("<h2>").append(esc(r.name())).append("</h2>\n");
            if (r.heat() == null) {
                h.append("<p>no measured window</p>\n");
                continue;
            }
            h.append("<table class=\"heat\"><tr><th>layer</th>");
            int n = r.heat()[0].length;
            for (int i = 0; i < n; i++) h.append("<th>").append(i).append("</th>");
            h.append("</tr>\n");
            for (int l = 0; l < r.heat().length; l++) {
                long[] row = r.heat()[l];
                double mean = 0;
                for (long v : row) mean += v;
                mean /= n;
                h.append("<tr><th>").append(l).append("</th>");
                for (long v : row) {
                    double ratio = mean == 0 ? 1 : v / mean;
                    h.append("<td style=\"background:").append(color(ratio)).append("\" title=\"")
                            .append(v).append(" tokens, ").append(f(ratio)).append(" x mean\"></td>");
                }
                h.append("</tr>\n");
            }
            h.append("</table>\n");
        }
        return h.append("</body></html>\n").toString();
    }

    /** White at the mean, saturating red at 2x and blue at 0. */
    static String color(double ratio) {
        double d = Math.max(-1, Math.min(1, ratio - 1));
        int fade = (int) Math.round(255 * (1 - Math.abs(d)));
        return d >= 0 ? String.format("rgb(255,%d,%d)", fade, fade) : String.format("rgb(%d,%d,255)", fade, fade);
    }

    private static String f(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.4f", v);
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
