package io.moeserve.contract.deploy;

import io.moeserve.contract.support.Http;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/** One scrape of a Prometheus text endpoint: series (name{labels}) to value. */
record Scrape(String url, Map<String, Double> series) {

    static Scrape of(String url) throws Exception {
        Http.Reply r = Http.get(url, null);
        assertThat(r.status()).as("GET " + url + ": " + r.body()).isEqualTo(200);
        Map<String, Double> series = new LinkedHashMap<>();
        for (String line : r.body().split("\n")) {
            if (line.isBlank() || line.startsWith("#")) continue;
            int cut = line.lastIndexOf(' ');
            series.put(line.substring(0, cut), Double.parseDouble(line.substring(cut + 1)));
        }
        return new Scrape(url, series);
    }

    Set<String> names() {
        Set<String> out = new TreeSet<>();
        for (String s : series.keySet()) out.add(s.split("\\{", 2)[0]);
        return out;
    }

    /** The sum over the series of a metric whose labels contain every given label="value" pair. */
    double sum(String name, String... labels) {
        double total = 0;
        for (var e : series.entrySet()) {
            String s = e.getKey();
            if (!s.split("\\{", 2)[0].equals(name)) continue;
            boolean all = true;
            for (String l : labels) all &= s.contains(l);
            if (all) total += e.getValue();
        }
        return total;
    }
}
