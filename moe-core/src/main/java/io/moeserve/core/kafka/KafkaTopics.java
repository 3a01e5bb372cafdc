package io.moeserve.core.kafka;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TopicExistsException;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Creates topics with at least the partition counts asked for (adding partitions to existing ones),
 * retrying while a just-started broker is not yet ready to place replicas.
 */
public final class KafkaTopics {

    /** A topic to ensure; {@code configs} are topic-level settings such as {@code cleanup.policy=compact}. */
    public record Spec(String name, int partitions, Map<String, String> configs) {
        public static Spec of(String name, int partitions) {
            return new Spec(name, partitions, Map.of());
        }

        public static Spec compacted(String name, int partitions) {
            return new Spec(name, partitions, Map.of("cleanup.policy", "compact"));
        }
    }

    private KafkaTopics() {
    }

    public static void ensure(String bootstrapServers, List<Spec> specs) {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "10000");
        try (Admin admin = Admin.create(p)) {
            ensure(admin, specs, Duration.ofSeconds(30));
        }
    }

    public static void ensure(Admin admin, List<Spec> specs, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                ensureOnce(admin, specs);
                return;
            } catch (ExecutionException e) {
                boolean retriable = e.getCause() instanceof RetriableException
                        || e.getCause() instanceof org.apache.kafka.common.errors.InvalidReplicationFactorException;
                if (!retriable || System.nanoTime() > deadline) {
                    throw new IllegalStateException("cannot create topics " + specs + ": " + e.getCause(), e.getCause());
                }
            } catch (java.util.concurrent.TimeoutException e) {
                if (System.nanoTime() > deadline) throw new IllegalStateException("timed out creating topics " + specs, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while creating topics", e);
            }
            sleep(200);
        }
    }

    private static void ensureOnce(Admin admin, List<Spec> specs)
            throws ExecutionException, InterruptedException, java.util.concurrent.TimeoutException {
        var existing = admin.listTopics().names().get(10, TimeUnit.SECONDS);
        for (Spec s : specs) {
            if (!existing.contains(s.name())) {
                try {
                    // Replication: the broker's default (1 on the local broker, more in a cluster).
                    NewTopic t = new NewTopic(s.name(), Optional.of(s.partitions()), Optional.empty()).configs(s.configs());
                    admin.createTopics(List.of(t))
                            .all().get(10, TimeUnit.SECONDS);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) throw e; // created meanwhile: check its size below
                }
            }
        }
        Map<String, NewPartitions> grow = new HashMap<>();
        Map<String, TopicDescription> described = admin.describeTopics(specs.stream().map(Spec::name).toList())
                .allTopicNames().get(10, TimeUnit.SECONDS);
        for (Spec s : specs) {
            int have = described.get(s.name()).partitions().size();
            if (have < s.partitions()) grow.put(s.name(), NewPartitions.increaseTo(s.partitions()));
        }
        if (!grow.isEmpty()) admin.createPartitions(grow).all().get(10, TimeUnit.SECONDS);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
