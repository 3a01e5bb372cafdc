package io.moeserve.expert.config;

import io.moeserve.core.wire.Topics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;

import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Makes sure the topics this instance uses exist with enough partitions (the broker does not
 * auto-create): moe.dispatch up to this instance's partition, moe.combine, the compacted
 * moe.placement and moe.placement-acks. Growing is safe; shrinking is never attempted.
 */
final class TopicSetup {
    private TopicSetup() {
    }

    static void ensure(String bootstrapServers, int dispatchPartitions) {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "30000");
        Map<String, Integer> want = Map.of(Topics.DISPATCH, dispatchPartitions, Topics.COMBINE, 1,
                Topics.PLACEMENT, 1, Topics.PLACEMENT_ACKS, 1);
        try (Admin admin = Admin.create(p)) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (true) {
                try {
                    Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
                    for (var e : want.entrySet()) {
                        if (existing.contains(e.getKey())) continue;
                        NewTopic t = new NewTopic(e.getKey(), e.getValue(), (short) -1); // broker default replication
                        if (e.getKey().equals(Topics.PLACEMENT)) t.configs(Map.of("cleanup.policy", "compact"));
                        try {
                            admin.createTopics(List.of(t)).all().get(30, TimeUnit.SECONDS);
                        } catch (ExecutionException ex) {
                            if (!(ex.getCause() instanceof TopicExistsException)) throw ex;
                        }
                    }
                    int have = admin.describeTopics(List.of(Topics.DISPATCH)).allTopicNames().get(30, TimeUnit.SECONDS)
                            .get(Topics.DISPATCH).partitions().size();
                    if (have < dispatchPartitions) {
                        admin.createPartitions(Map.of(Topics.DISPATCH, NewPartitions.increaseTo(dispatchPartitions))).all()
                                .get(30, TimeUnit.SECONDS);
                    }
                    return;
                } catch (ExecutionException e) {
                    // A topic just created may not be in the metadata yet; a broker still starting has no controller.
                    boolean retriable = e.getCause() instanceof org.apache.kafka.common.errors.RetriableException;
                    if (!retriable || System.nanoTime() > deadline) throw e;
                    Thread.sleep(200);
                }
            }
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot create the moeserve topics on " + bootstrapServers + ": " + e.getCause(), e);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("Kafka at " + bootstrapServers + " did not answer within 30 s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
