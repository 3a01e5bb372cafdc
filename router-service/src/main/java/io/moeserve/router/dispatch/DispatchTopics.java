package io.moeserve.router.dispatch;

import io.moeserve.core.placement.InstanceSpec;
import io.moeserve.core.placement.PlacementPlan;
import io.moeserve.core.wire.Topics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;

import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Creates (or grows) the topics the router needs before it dispatches: moe.dispatch with a partition
 * for every instance of the plan, moe.combine with this router's partition, moe.placement (compacted)
 * and moe.placement-acks. The broker does not auto-create topics.
 */
public final class DispatchTopics {
    private DispatchTopics() {
    }

    public static void ensure(String bootstrapServers, PlacementPlan plan, int routerId) {
        int dispatch = plan.instances().stream().mapToInt(InstanceSpec::partition).max().orElse(0) + 1;
        Map<String, Integer> want = Map.of(Topics.DISPATCH, dispatch, Topics.COMBINE, routerId + 1,
                Topics.PLACEMENT, 1, Topics.PLACEMENT_ACKS, 1);
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "30000");
        try (Admin admin = Admin.create(p)) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (true) {
                try {
                    var existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
                    for (var e : want.entrySet()) {
                        if (existing.contains(e.getKey())) continue;
                        NewTopic t = new NewTopic(e.getKey(), e.getValue(), (short) -1);
                        if (e.getKey().equals(Topics.PLACEMENT)) t.configs(Map.of("cleanup.policy", "compact"));
                        try {
                            admin.createTopics(List.of(t)).all().get(30, TimeUnit.SECONDS);
                        } catch (ExecutionException ex) {
                            if (!(ex.getCause() instanceof TopicExistsException)) throw ex;
                        }
                    }
                    var described = admin.describeTopics(List.of(Topics.DISPATCH, Topics.COMBINE)).allTopicNames().get(30, TimeUnit.SECONDS);
                    for (String name : List.of(Topics.DISPATCH, Topics.COMBINE)) {
                        int have = described.get(name).partitions().size();
                        if (have < want.get(name)) {
                            admin.createPartitions(Map.of(name, NewPartitions.increaseTo(want.get(name)))).all().get(30, TimeUnit.SECONDS);
                        }
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
