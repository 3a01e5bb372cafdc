package io.moeserve.expert.plan;

import io.moeserve.core.placement.PlacementPlan;
import io.moeserve.core.placement.PlacementPlans;
import io.moeserve.core.wire.PlanAck;
import io.moeserve.core.wire.Topics;
import io.moeserve.expert.serve.ExpertHost;
import io.moeserve.expert.serve.ExpertMetrics;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Properties;
import java.util.Set;

/**
 * Follows the compacted {@code moe.placement} topic (JSON plans, newest wins) from its beginning, hands
 * every newer plan to the {@link ExpertHost} and publishes the host's {@link PlanAck} on
 * {@code moe.placement-acks}. A plan that does not parse or validate is counted and ignored.
 */
public final class PlanListener implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PlanListener.class);

    private final ExpertHost host;
    private final ExpertMetrics metrics;
    private final KafkaConsumer<String, String> consumer;
    private final KafkaProducer<String, String> producer;
    private final Thread thread;
    private volatile boolean running = true;

    public PlanListener(String bootstrapServers, ExpertHost host, ExpertMetrics metrics) {
        this.host = host;
        this.metrics = metrics;
        Properties c = new Properties();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        c.put(ConsumerConfig.CLIENT_ID_CONFIG, "moe-expert-" + host.instanceId() + "-plans");
        // No group: every instance reads every plan, from the start of the compacted log.
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        consumer = new KafkaConsumer<>(c, new StringDeserializer(), new StringDeserializer());
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "moe-expert-" + host.instanceId() + "-acks");
        // An ack must arrive once, in order: idempotent, acks=all. Acks are rare, so no latency tuning.
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        // Plans are large JSON documents for big models.
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, String.valueOf(16 * 1024 * 1024));
        producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
        thread = new Thread(this::run, "plan-listener-" + host.instanceId());
        thread.setDaemon(true);
    }

    public PlanListener start() {
        thread.start();
        return this;
    }

    private void run() {
        TopicPartition tp = new TopicPartition(Topics.PLACEMENT, 0);
        try {
            consumer.assign(Set.of(tp));
            consumer.seekToBeginning(Set.of(tp));
            while (running) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) consider(r);
            }
        } catch (WakeupException e) {
            // closing
        } catch (RuntimeException e) {
            log.error("plan listener of {} stopped", host.instanceId(), e);
        } finally {
            consumer.close(Duration.ofSeconds(2));
        }
    }

    private void consider(ConsumerRecord<String, String> r) {
        if (r.value() == null) return; // tombstone
        PlacementPlan plan;
        try {
            plan = PlacementPlans.fromJson(r.value());
        } catch (IllegalArgumentException e) {
            metrics.rejected("plan");
            log.warn("ignored an invalid plan at {} offset {}: {}", Topics.PLACEMENT, r.offset(), e.getMessage());
            return;
        }
        PlanAck ack = host.adopt(plan);
        if (ack != null) {
            producer.send(new ProducerRecord<>(Topics.PLACEMENT_ACKS, 0, host.instanceId(), ack.toJson()), (md, ex) -> {
                if (ex != null) log.warn("plan ack v{} not delivered: {}", ack.planVersion(), ex.toString());
            });
        }
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        producer.close(Duration.ofSeconds(2));
    }
}
