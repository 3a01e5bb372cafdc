package io.moeserve.core.kafka;

import io.moeserve.core.placement.PlacementPlan;
import io.moeserve.core.placement.PlacementPlans;
import io.moeserve.core.placement.PlanActivation;
import io.moeserve.core.wire.PlanAck;
import io.moeserve.core.wire.Topics;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.function.Consumer;

/**
 * Follows moe.placement (proposed plans) and moe.placement-acks from their beginning and tells
 * {@code onActive} each time a plan becomes active under {@link PlanActivation}'s rule. The router
 * uses it to switch plans, the planner to know what is in force, an expert instance also to adopt
 * each newer proposal ({@link #onProposal}). Records that do not parse are counted in
 * {@link #rejected()}, reported to {@link #onRejected} and skipped: a bad control message never
 * stops the follower.
 */
public final class PlacementFollower implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PlacementFollower.class);

    private final PlanActivation activation;
    private final Consumer<PlacementPlan> onActive;
    private final KafkaConsumer<String, String> consumer;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile long rejected;
    private volatile Consumer<PlanAck> ackListener = a -> { };
    private volatile Consumer<PlacementPlan> proposalListener = p -> { };
    private volatile Consumer<String> rejectionListener = topic -> { };
    private long newestProposal = Long.MIN_VALUE;

    /** @param activeVersion the plan version already in force where this runs */
    public PlacementFollower(String bootstrapServers, String clientId, long activeVersion, Consumer<PlacementPlan> onActive) {
        this.activation = new PlanActivation(activeVersion);
        this.onActive = onActive;
        Properties c = new Properties();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        c.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        // No group: every follower reads both compacted logs whole, from the start.
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        // Plans of big models are large JSON documents.
        c.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, String.valueOf(16 * 1024 * 1024));
        consumer = new KafkaConsumer<>(c, new StringDeserializer(), new StringDeserializer());
        thread = new Thread(this::run, clientId);
        thread.setDaemon(true);
    }

    /** Also hands every parsed ack to {@code listener} (the planner watches for failures). */
    public PlacementFollower onAck(Consumer<PlanAck> listener) {
        this.ackListener = listener;
        return this;
    }

    /** Also hands every proposal newer than the ones seen before to {@code listener}, before activation is checked. */
    public PlacementFollower onProposal(Consumer<PlacementPlan> listener) {
        this.proposalListener = listener;
        return this;
    }

    /** Also tells {@code listener} the topic of every record it had to skip. */
    public PlacementFollower onRejected(Consumer<String> listener) {
        this.rejectionListener = listener;
        return this;
    }

    public PlacementFollower start() {
        thread.start();
        return this;
    }

    public PlanActivation activation() {
        return activation;
    }

    public long rejected() {
        return rejected;
    }

    private void run() {
        List<TopicPartition> tps = List.of(new TopicPartition(Topics.PLACEMENT, 0), new TopicPartition(Topics.PLACEMENT_ACKS, 0));
        try {
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            while (running) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) consider(r);
            }
        } catch (WakeupException e) {
            // closing
        } catch (RuntimeException e) {
            log.error("placement follower stopped", e);
        } finally {
            consumer.close(Duration.ofSeconds(2));
        }
    }

    private void consider(ConsumerRecord<String, String> r) {
        if (r.value() == null) return; // tombstone
        try {
            if (r.topic().equals(Topics.PLACEMENT)) {
                PlacementPlan plan = PlacementPlans.fromJson(r.value()).validate();
                if (plan.version() > newestProposal) {
                    newestProposal = plan.version();
                    proposalListener.accept(plan);
                }
                activation.onPlan(plan).ifPresent(this::activate);
            } else {
                PlanAck ack = PlanAck.fromJson(r.value());
                ackListener.accept(ack);
                activation.onAck(ack).ifPresent(this::activate);
            }
        } catch (IllegalArgumentException e) {
            rejected++;
            rejectionListener.accept(r.topic());
            log.warn("ignored an invalid record at {} offset {}: {}", r.topic(), r.offset(), e.getMessage());
        }
    }

    private void activate(PlacementPlan plan) {
        try {
            onActive.accept(plan);
        } catch (RuntimeException e) {
            log.error("plan v{} became active but could not be applied", plan.version(), e);
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
    }
}
