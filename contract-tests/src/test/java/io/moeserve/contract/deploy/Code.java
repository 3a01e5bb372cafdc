package io.moeserve.contract.deploy;

import io.moeserve.core.wire.Topics;
import io.moeserve.contract.support.Repo;
import io.moeserve.expert.serve.ExpertKafkaClients;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.utils.AppInfoParser;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Facts the deployment must match, read from the code itself (classes on the test classpath, sources). */
final class Code {
    private Code() {
    }

    /** Every topic name moe-core's Topics declares (its String constants that name topics, not record keys). */
    static Set<String> topics() {
        Set<String> out = new TreeSet<>();
        for (Field f : Topics.class.getFields()) {
            int mod = f.getModifiers();
            if (!Modifier.isStatic(mod) || !Modifier.isFinal(mod) || f.getType() != String.class) continue;
            try {
                String v = (String) f.get(null);
                if (v.startsWith("moe.")) out.add(v);
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(e);
            }
        }
        return out;
    }

    /** The consumer group under which expert instance instanceId commits its moe.dispatch offsets. */
    static String expertDispatchGroup(String instanceId) {
        return ExpertKafkaClients.dispatchConsumer("unused:9092", instanceId, Duration.ofMillis(20))
                .getProperty(ConsumerConfig.GROUP_ID_CONFIG);
    }

    /** The kafka-clients version the services are built with (the broker image should match it). */
    static String kafkaClientVersion() {
        return AppInfoParser.getVersion();
    }

    /** The topics create-topics.sh ensures, in order of its "ensure TOPIC PARTITIONS" lines. */
    static Set<String> scriptTopics(Path script) {
        Set<String> out = new LinkedHashSet<>();
        Matcher m = Pattern.compile("(?m)^ensure\\s+(\\S+)\\s").matcher(ServiceModule.read(script));
        while (m.find()) out.add(m.group(1));
        return out;
    }

    static Path topicsScript() {
        return Repo.root().resolve("ops/k8s/base/kafka/create-topics.sh");
    }

    /** host:port of an address: "kafka:9092", "redis://redis:6379", "http://router-service:8081". */
    static String hostPort(String address) {
        String a = address.trim();
        if (!a.contains("://")) a = "tcp://" + a;
        URI u = URI.create(a);
        return u.getHost() + ":" + u.getPort();
    }

    /** Whether a service's code runs the engine (Vector API kernels, mmap'd weights). */
    static boolean runsEngine(ServiceModule s) {
        return s.sourcesContain("import io.moeserve.core.engine.") || s.sourcesContain("import io.moeserve.core.checkpoint.");
    }
}
