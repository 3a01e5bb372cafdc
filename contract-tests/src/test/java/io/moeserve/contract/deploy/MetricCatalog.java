package io.moeserve.contract.deploy;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.LongTaskTimer;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Prometheus series names each service exports, derived from its code: every Micrometer meter
 * registered with a literal name (directly, through a registry shortcut such as
 * {@code registry.counter("x")}, or through a helper method whose String parameter becomes the meter
 * name) is registered again, same type, same histogram setting, in a real PrometheusMeterRegistry, and
 * the scrape gives the exported names (x.y -> x_y, Counter -> _total, Timer -> _seconds_count/sum/max,
 * plus _bucket when a histogram is published). No hand-kept list to drift.
 */
final class MetricCatalog {

    /** A meter the code registers. */
    record Meter(String service, Path source, String name, String type, boolean histogram, String baseUnit) {
    }

    private static final String TYPES = "Counter|Timer|Gauge|DistributionSummary|FunctionCounter|FunctionTimer|LongTaskTimer|TimeGauge";
    private static final Pattern BUILDER = Pattern.compile("\\b(" + TYPES + ")\\.builder\\(\\s*(?:\"([^\"]+)\"|(\\w+))");
    private static final Pattern SHORTCUT = Pattern.compile("\\.(counter|timer|summary|gauge)\\(\\s*\"([^\"]+)\"");

    private final List<Meter> meters;

    private MetricCatalog(List<Meter> meters) {
        this.meters = meters;
    }

    static MetricCatalog of(List<ServiceModule> services) {
        List<Meter> all = new ArrayList<>();
        for (ServiceModule s : services) {
            try (var files = Files.walk(s.dir().resolve("src/main/java"))) {
                for (Path f : files.filter(p -> p.toString().endsWith(".java")).sorted().toList()) all.addAll(scan(s.name(), f));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return new MetricCatalog(all);
    }

    List<Meter> meters() {
        return meters;
    }

    static List<Meter> scan(String service, Path file) {
        String text = ServiceModule.read(file);
        List<Meter> out = new ArrayList<>();
        Matcher b = BUILDER.matcher(text);
        while (b.find()) {
            String type = b.group(1);
            String chain = chain(text, b.start());
            if (b.group(2) != null) {
                out.add(meter(service, file, b.group(2), type, chain));
            } else {
                // Timer.builder(name) inside a helper whose parameter "name" carries the meter name
                String helper = enclosingMethodWithParam(text, b.start(), b.group(3));
                if (helper == null) continue;
                Matcher call = Pattern.compile("\\b" + Pattern.quote(helper) + "\\(\\s*\"([^\"]+)\"").matcher(text);
                while (call.find()) out.add(meter(service, file, call.group(1), type, chain));
            }
        }
        Matcher s = SHORTCUT.matcher(text);
        while (s.find()) {
            String type = switch (s.group(1)) {
                case "counter" -> "Counter";
                case "timer" -> "Timer";
                case "summary" -> "DistributionSummary";
                default -> "Gauge";
            };
            out.add(new Meter(service, file, s.group(2), type, false, null));
        }
        return out;
    }

    private static Meter meter(String service, Path file, String name, String type, String chain) {
        Matcher unit = Pattern.compile("\\.baseUnit\\(\\s*\"([^\"]+)\"").matcher(chain);
        return new Meter(service, file, name, type, chain.contains("publishPercentileHistogram"), unit.find() ? unit.group(1) : null);
    }

    /** The builder chain from start to its register(...) call. */
    private static String chain(String text, int start) {
        int end = text.indexOf(".register(", start);
        return end < 0 ? text.substring(start, Math.min(text.length(), start + 400)) : text.substring(start, end);
    }

    /** The name of the last method declared before pos with a String parameter named param. */
    private static String enclosingMethodWithParam(String text, int pos, String param) {
        Matcher m = Pattern.compile("(\\w+)\\s*\\([^()]*\\bString\\s+" + Pattern.quote(param) + "\\b").matcher(text.substring(0, pos));
        String name = null;
        while (m.find()) name = m.group(1);
        return name;
    }

    /** The series names one meter is exported as, as the services' Prometheus registry writes them. */
    static Set<String> exportedNames(Meter m) {
        PrometheusMeterRegistry r = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        switch (m.type()) {
            case "Counter" -> Counter.builder(m.name()).baseUnit(m.baseUnit()).register(r).increment();
            case "FunctionCounter" -> FunctionCounter.builder(m.name(), 1, x -> 1.0).baseUnit(m.baseUnit()).register(r);
            case "Gauge", "TimeGauge" -> Gauge.builder(m.name(), () -> 1).baseUnit(m.baseUnit()).register(r);
            case "Timer", "FunctionTimer" -> {
                var t = Timer.builder(m.name());
                if (m.histogram()) t.publishPercentileHistogram();
                t.register(r).record(java.time.Duration.ofMillis(5));
            }
            case "LongTaskTimer" -> LongTaskTimer.builder(m.name()).register(r);
            case "DistributionSummary" -> {
                var d = DistributionSummary.builder(m.name()).baseUnit(m.baseUnit());
                if (m.histogram()) d.publishPercentileHistogram();
                d.register(r).record(1);
            }
            default -> throw new IllegalStateException("meter type " + m.type());
        }
        Set<String> names = new TreeSet<>();
        for (String line : r.scrape().split("\n")) {
            if (line.isBlank() || line.startsWith("#")) continue;
            names.add(line.split("[{ ]", 2)[0]);
        }
        r.close();
        return names;
    }

    /** Every exported series name of a service (or of all services with null). */
    Set<String> exported(String service) {
        Set<String> out = new LinkedHashSet<>();
        for (Meter m : meters) if (service == null || m.service().equals(service)) out.addAll(exportedNames(m));
        return out;
    }
}
