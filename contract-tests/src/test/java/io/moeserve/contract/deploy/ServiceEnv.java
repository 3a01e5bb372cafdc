package io.moeserve.contract.deploy;

import java.util.Collection;
import java.util.List;
import java.util.Set;

/** Which environment variables a service's container really reads. */
final class ServiceEnv {
    /** Read by the java launcher itself, in every image. */
    static final Set<String> JVM = Set.of("JDK_JAVA_OPTIONS", "JAVA_TOOL_OPTIONS");
    /** Spring Boot properties every service has. */
    static final Set<String> SPRING = Set.of("SPRING_PROFILES_ACTIVE", "SERVER_PORT");

    private ServiceEnv() {
    }

    /**
     * The names among env that nothing in the container reads: not a ${placeholder} of its
     * application.yml, not the relaxed form of one of its @ConfigurationProperties or application.yml
     * keys, not a JVM or Spring variable, not used by the image's entrypoint script.
     */
    static List<String> unread(ServiceModule s, Dockerfile image, Collection<String> env) {
        Set<String> placeholders = s.config().placeholderNames();
        Set<String> yamlKeys = s.config().keys().stream().map(SpringConfig::envName).collect(java.util.stream.Collectors.toSet());
        String launch = image.launchText();
        return env.stream().filter(name -> !(JVM.contains(name) || SPRING.contains(name) || placeholders.contains(name)
                || yamlKeys.contains(name) || s.properties().bindsEnv(name)
                || launch.contains("${" + name) || launch.contains("$" + name + " "))).toList();
    }
}
