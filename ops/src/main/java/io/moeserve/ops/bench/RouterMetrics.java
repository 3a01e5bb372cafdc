package io.moeserve.ops.bench;

import io.moeserve.ops.stack.StackState;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads the router's dispatch round-trip histogram from its Prometheus endpoint: percentiles of the
 * requests a benchmark made come from the difference of two scrapes' cumulative buckets.
 */
final class RouterMetrics {
    static final String RTT_METRIC = "moeserve_dispatch_rtt_seconds_bucket";

    private RouterMetrics() {
    }

    static String fromStack(Path runDir) {
        try {
            StackState s = StackState.load(runDir);
            return s.services().stream().filter(x -> x.name().equals("router")).findFirst()
                    .map(x -> "http://127.0.0.1:" + x.port() + "/actuator/prometheus").orElse(null);
        } catch (Exception e) {
            return null;
        }
    }

    /** le -> cumulative count, summed over all label sets (instances, layers). */
    static Map<Double, Double> dispatchBuckets(HttpClient http, String url) {
        Map<Double, Double> b = new TreeMap<>();
        if (url == null) return b;
        try {
            String text = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            for (String line : text.split("\n")) {
                if (!line.startsWith(RTT_METRIC)) continue;
                int le = line.indexOf("le=\"");
                if (le < 0) continue;
                String v = line.substring(le + 4, line.indexOf('"', le + 4));
                double bound = v.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(v);
                double count = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                b.merge(bound, count, Double::sum);
            }
        } catch (Exception e) {
            System.err.println("could not scrape " + url + ": " + e.getMessage());
        }
        return b;
    }

    /** The q-quantile's bucket upper bound (seconds) of the observations between two scrapes. */
    static double percentile(Map<Double, Double> before, Map<Double, Double> after, double q) {
        if (after.isEmpty()) return Double.NaN;
        double total = after.getOrDefault(Double.POSITIVE_INFINITY, 0.0) - before.getOrDefault(Double.POSITIVE_INFINITY, 0.0);
        if (total <= 0) return Double.NaN;
        double prevBound = 0, prevCount = 0;
        for (var e : after.entrySet()) {
            double c = e.getValue() - before.getOrDefault(e.getKey(), 0.0);
            if (c >= q * total) {
                if (e.getKey().isInfinite()) return prevBound;
                // linear interpolation inside the bucket, as Prometheus' histogram_quantile does
                double frac = c == prevCount ? 1 : (q * total - prevCount) / (c - prevCount);
                return prevBound + (e.getKey() - prevBound) * frac;
            }
            prevBound = e.getKey();
            prevCount = c;
        }
        return prevBound;
    }
}
