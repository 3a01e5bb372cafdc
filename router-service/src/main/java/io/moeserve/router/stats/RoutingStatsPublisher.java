package io.moeserve.router.stats;

import io.moeserve.core.kafka.ControlProducers;
import io.moeserve.core.wire.RoutingStatsMessage;
import io.moeserve.core.wire.Topics;
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
import java.util.concurrent.atomic.AtomicLong;

/** Every window, publishes the recorder's statistics on moe.routing-stats (skipped when nothing was routed). */
public final class RoutingStatsPublisher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RoutingStatsPublisher.class);

    private final RoutingStatsRecorder recorder;
    private final KafkaProducer<String, String> producer;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("routing-stats").daemon().factory());
    private final String key;
    private final AtomicLong published = new AtomicLong();

    public RoutingStatsPublisher(RoutingStatsRecorder recorder, String bootstrapServers, int routerId, Duration window) {
        this.recorder = recorder;
        this.key = "router-" + routerId;
        Properties p = ControlProducers.base(bootstrapServers, "moe-router-" + routerId + "-stats");
        // Statistics of a 256-expert model compress well (JSON of small integers) and are not latency critical.
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "gzip");
        // Large models' windows (sparse pair lists) can exceed the 1 MB default.
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, String.valueOf(16 * 1024 * 1024));
        // Never block the timer thread for long when the broker is away: the window is dropped, the next one comes.
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "2000");
        producer = ControlProducers.create(p);
        long ms = window.toMillis();
        timer.scheduleAtFixedRate(this::publish, ms, ms, TimeUnit.MILLISECONDS);
    }

    /** Windows published so far. */
    public long published() {
        return published.get();
    }

    void publish() {
        try {
            RoutingStatsMessage m = recorder.drain();
            if (m.tokens() == 0) return;
            producer.send(new ProducerRecord<>(Topics.ROUTING_STATS, key, m.toJson()), (md, ex) -> {
                if (ex != null) log.warn("routing stats window {} not delivered: {}", m.window(), ex.toString());
                else published.incrementAndGet();
            });
        } catch (RuntimeException e) {
            log.warn("routing stats window not published: {}", e.toString());
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
        publish(); // the last partial window
        producer.close(Duration.ofSeconds(2));
    }
}
