package io.moeserve.expert.plan;

import io.moeserve.core.kafka.ControlProducers;
import io.moeserve.core.wire.Heartbeat;
import io.moeserve.core.wire.Topics;
import io.moeserve.expert.serve.ExpertHost;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * This instance's membership for the planner: a {@link Heartbeat} on moe.heartbeats every interval,
 * and a LEAVING one when it is being stopped, so the planner plans it out before it goes.
 */
public final class HeartbeatPublisher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HeartbeatPublisher.class);

    /** What this instance offers the planner. */
    public record Offer(int partition, long memoryBytes, double speed) {
    }

    private final ExpertHost host;
    private final Offer offer;
    private final KafkaProducer<String, String> producer;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("heartbeats").daemon().factory());
    private volatile boolean leaving;

    public HeartbeatPublisher(String bootstrapServers, ExpertHost host, Offer offer, Duration interval) {
        this.host = host;
        this.offer = offer;
        // Heartbeats are keyed by instance on a compacted topic: only order matters (kept by the base settings).
        Properties p = ControlProducers.base(bootstrapServers, "moe-expert-" + host.instanceId() + "-heartbeats");
        // Without a broker a heartbeat is dropped after a second; the next one follows.
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "1000");
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, String.valueOf(Math.max(2000, interval.toMillis() * 2)));
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "1000");
        producer = ControlProducers.create(p);
        timer.scheduleAtFixedRate(this::beat, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    private Heartbeat heartbeat(String state) {
        return new Heartbeat(host.instanceId(), offer.partition(), offer.memoryBytes(), offer.speed(), state, host.plan().version(),
                System.currentTimeMillis());
    }

    private void beat() {
        if (leaving) return;
        try {
            producer.send(new ProducerRecord<>(Topics.HEARTBEATS, host.instanceId(), heartbeat(Heartbeat.UP).toJson()));
        } catch (RuntimeException e) {
            log.debug("heartbeat not sent: {}", e.toString());
        }
    }

    /** Tells the planner this instance is going; waits (briefly) until the broker has it. */
    public void leave() {
        leaving = true;
        timer.shutdownNow();
        try {
            producer.send(new ProducerRecord<>(Topics.HEARTBEATS, host.instanceId(), heartbeat(Heartbeat.LEAVING).toJson()))
                    .get(3, TimeUnit.SECONDS);
            log.info("instance {} announced it is leaving", host.instanceId());
        } catch (Exception e) {
            log.warn("instance {} could not announce it is leaving: {}", host.instanceId(), e.toString());
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
        producer.close(Duration.ofSeconds(2));
    }
}
