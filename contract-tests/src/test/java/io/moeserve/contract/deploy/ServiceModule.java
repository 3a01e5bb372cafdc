package io.moeserve.contract.deploy;

import io.moeserve.contract.support.Repo;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A service the code has: a module of the root pom that packages a Spring Boot application (its pom
 * runs spring-boot-maven-plugin and it has an application.yml). Everything the deployment files must
 * agree with is read from the module itself: jar name, port, properties, metrics path.
 */
record ServiceModule(String name, Path dir, String jarName, SpringConfig config, ConfigurationPropertiesScan properties) {

    private static final Pattern MODULE = Pattern.compile("<module>([^<]+)</module>");
    private static final Pattern FINAL_NAME = Pattern.compile("<finalName>([^<]+)</finalName>");

    static List<ServiceModule> all() {
        Path root = Repo.root();
        return modules(root).stream()
                .filter(m -> isBootApp(root.resolve(m)))
                .map(m -> of(root, m))
                .toList();
    }

    static ServiceModule named(String name) {
        return all().stream().filter(s -> s.name.equals(name)).findFirst()
                .orElseThrow(() -> new IllegalStateException("no service module " + name + " in " + names()));
    }

    static List<String> names() {
        return all().stream().map(ServiceModule::name).toList();
    }

    static List<String> modules(Path root) {
        Matcher m = MODULE.matcher(read(root.resolve("pom.xml")));
        List<String> out = new java.util.ArrayList<>();
        while (m.find()) out.add(m.group(1).trim());
        return out;
    }

    private static boolean isBootApp(Path dir) {
        Path pom = dir.resolve("pom.xml");
        return Files.exists(pom) && read(pom).contains("spring-boot-maven-plugin")
                && Files.exists(dir.resolve("src/main/resources/application.yml"));
    }

    private static ServiceModule of(Path root, String module) {
        Path dir = root.resolve(module);
        Matcher fn = FINAL_NAME.matcher(read(dir.resolve("pom.xml")));
        String jar = (fn.find() ? fn.group(1) : module + "-0.1.0-SNAPSHOT") + ".jar";
        return new ServiceModule(module, dir, jar, SpringConfig.of(dir.resolve("src/main/resources/application.yml")),
                ConfigurationPropertiesScan.of(dir.resolve("src/main/java")));
    }

    /** The HTTP port the service listens on under these profiles and environment. */
    int port(Set<String> profiles, Map<String, String> env) {
        String p = config.resolve("server.port", profiles, env);
        return p == null ? 8080 : Integer.parseInt(p);
    }

    /**
     * Where its Prometheus metrics are: the actuator endpoint when the application exposes it, else the
     * service's own GET /metrics (the gateway serves no actuator over HTTP).
     */
    String metricsPath() {
        String exposed = config.resolve("management.endpoints.web.exposure.include", Set.of(), Map.of());
        String mgmtPort = config.resolve("management.server.port", Set.of(), Map.of());
        boolean actuator = exposed != null && List.of(exposed.split(",")).stream().map(String::trim).anyMatch("prometheus"::equals)
                && !"-1".equals(mgmtPort);
        if (actuator) return "/actuator/prometheus";
        if (sourcesContain("GET(\"/metrics\"")) return "/metrics";
        throw new IllegalStateException(name + " exposes no Prometheus endpoint");
    }

    /**
     * The {@code @DefaultValue} of a {@code @ConfigurationProperties} record component (by its Java name,
     * e.g. drainTimeout), for properties no application.yml sets; fails unless exactly one value is found.
     */
    String defaultValue(String component) {
        Pattern p = Pattern.compile("@DefaultValue\\(\"([^\"]*)\"\\)\\s+[\\w.<>]+\\s+" + Pattern.quote(component) + "\\b");
        java.util.Set<String> found = new java.util.TreeSet<>();
        try (var files = Files.walk(dir.resolve("src/main/java"))) {
            files.filter(f -> f.toString().endsWith(".java")).forEach(f -> {
                Matcher m = p.matcher(read(f));
                while (m.find()) found.add(m.group(1));
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (found.size() != 1) throw new IllegalStateException(name + ": @DefaultValue of " + component + " is " + found);
        return found.iterator().next();
    }

    boolean sourcesContain(String text) {
        try (var files = Files.walk(dir.resolve("src/main/java"))) {
            return files.filter(f -> f.toString().endsWith(".java")).anyMatch(f -> read(f).contains(text));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
