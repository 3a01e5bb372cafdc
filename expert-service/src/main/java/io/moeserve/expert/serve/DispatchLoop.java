package io.moeserve.expert.serve;

import io.micrometer.core.instrument.Timer;
import io.moeserve.core.wire.CombineMessage;
import io.moeserve.core.wire.DispatchMessage;
import io.moeserve.core.wire.Topics;
import io.moeserve.core.wire.WireCodec;
import io.moeserve.core.wire.WireFormatException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The instance's hot loop, on one dedicated thread: poll this instance's moe.dispatch partition,
 * compute each message with the {@link ExpertHost}, send the reply to the sender's moe.combine
 * partition, commit offsets now and then. A message that cannot be decoded is counted
 * ({@code moeserve_wire_rejected_total{reason}}), logged and skipped; nothing a message contains can
 * stop the loop.
 */
public final class DispatchLoop implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DispatchLoop.class);

    /** Where and how to serve. */
    public record Settings(String bootstrapServers, int partition, Duration pollTimeout, Duration fetchMaxWait,
                           Duration commitInterval) {
        public static Settings of(String bootstrapServers, int partition) {
            return new Settings(bootstrapServers, partition, Duration.ofMillis(10), Duration.ofMillis(20), Duration.ofSeconds(1));
        }
    }

    private final Settings settings;
    private final ExpertHost host;
    private final ExpertMetrics metrics;
    private final TopicPartition tp;
    private final CountDownLatch ready = new CountDownLatch(1);
    private volatile boolean running;
    private volatile Thread thread;
    private volatile Throwable failure;
    private KafkaConsumer<byte[], byte[]> consumer;
    private KafkaProducer<byte[], byte[]> producer;

    public DispatchLoop(Settings settings, ExpertHost host, ExpertMetrics metrics) {
        this.settings = settings;
        this.host = host;
        this.metrics = metrics;
        this.tp = new TopicPartition(Topics.DISPATCH, settings.partition());
    }

    /** Starts the loop and returns once it is positioned at the end of its partition (ready to serve). */
    public synchronized DispatchLoop start(Duration readyTimeout) {
        if (thread != null) throw new IllegalStateException("already started");
        consumer = new KafkaConsumer<>(ExpertKafkaClients.dispatchConsumer(settings.bootstrapServers(), host.instanceId(),
                settings.fetchMaxWait()));
        producer = new KafkaProducer<>(ExpertKafkaClients.producer(settings.bootstrapServers(),
                "moe-expert-" + host.instanceId() + "-combine"));
        running = true;
        thread = new Thread(this::run, "dispatch-loop-" + host.instanceId());
        thread.start();
        try {
            if (!ready.await(readyTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException("dispatch loop of " + host.instanceId() + " not ready within " + readyTimeout
                        + (failure == null ? "" : ": " + failure));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
        if (failure != null) throw new IllegalStateException("dispatch loop of " + host.instanceId() + " failed to start", failure);
        return this;
    }

    public boolean isRunning() {
        Thread t = thread;
        return running && t != null && t.isAlive();
    }

    public int partition() {
        return settings.partition();
    }

    private void run() {
        try {
            consumer.assign(Set.of(tp));
            consumer.seekToEnd(Set.of(tp));
            consumer.position(tp, Duration.ofSeconds(30)); // resolve now: messages sent after ready are all seen
        } catch (RuntimeException e) {
            failure = e;
            running = false;
            ready.countDown();
            closeClients();
            return;
        }
        ready.countDown();
        log.info("instance {} serving {}", host.instanceId(), tp);
        long nextCommit = System.nanoTime() + settings.commitInterval().toNanos();
        boolean dirty = false;
        try {
            while (running) {
                ConsumerRecords<byte[], byte[]> records;
                try {
                    records = consumer.poll(settings.pollTimeout());
                } catch (WakeupException e) {
                    break;
                }
                for (ConsumerRecord<byte[], byte[]> r : records) {
                    serve(r);
                    dirty = true;
                }
                // Backlog of this partition (what KEDA scales on), read on the consumer's own thread.
                consumer.currentLag(tp).ifPresent(metrics::lag);
                if (dirty && System.nanoTime() > nextCommit) {
                    commit(false);
                    dirty = false;
                    nextCommit = System.nanoTime() + settings.commitInterval().toNanos();
                }
            }
            if (dirty) commit(true);
        } catch (RuntimeException | Error e) {
            failure = e;
            log.error("dispatch loop of {} stopped by an unexpected error", host.instanceId(), e);
        } finally {
            running = false;
            closeClients();
        }
    }

    /** One record: decode, compute, reply. Never throws for anything the record contains. */
    private void serve(ConsumerRecord<byte[], byte[]> r) {
        DispatchMessage m;
        try {
            m = WireCodec.decodeDispatch(r.value());
        } catch (WireFormatException e) {
            metrics.rejected(e.reason().label());
            log.warn("rejected {} offset {}: {}", tp, r.offset(), e.getMessage());
            return;
        }
        CombineMessage reply;
        Timer.Sample sample = Timer.start();
        try {
            reply = host.handle(m);
        } catch (RuntimeException e) {
            log.error("computing batch {} layer {} failed", m.batchId(), m.layer(), e);
            reply = CombineMessage.error(m.header(), "expert compute failed: " + e);
        }
        sample.stop(metrics.computeTimer());
        metrics.answered(reply.status());
        if (reply.status() == CombineMessage.Status.OK) metrics.tokens(m.layer(), m.experts());
        int combinePartitions = producer.partitionsFor(Topics.COMBINE).size(); // cached metadata, no round trip
        if (m.header().routerId() >= combinePartitions) {
            // Sending would block up to max.block.ms waiting for a partition that may never exist.
            metrics.rejected("undeliverable");
            log.warn("batch {}: router id {} has no moe.combine partition (topic has {})", m.batchId(), m.header().routerId(),
                    combinePartitions);
            return;
        }
        try {
            producer.send(new ProducerRecord<>(Topics.COMBINE, m.header().routerId(), null, WireCodec.encode(reply)), (md, ex) -> {
                if (ex != null) log.warn("reply to router {} batch {} not delivered: {}", m.header().routerId(), m.batchId(), ex.toString());
            });
        } catch (RuntimeException e) { // e.g. a router id with no moe.combine partition
            metrics.rejected("undeliverable");
            log.warn("cannot reply to router {} batch {}: {}", m.header().routerId(), m.batchId(), e.toString());
        }
    }

    private void commit(boolean sync) {
        Map<TopicPartition, OffsetAndMetadata> offsets = Map.of(tp, new OffsetAndMetadata(consumer.position(tp)));
        try {
            if (sync) consumer.commitSync(offsets, Duration.ofSeconds(5));
            else consumer.commitAsync(offsets, (o, e) -> {
                if (e != null) log.debug("offset commit failed: {}", e.toString());
            });
        } catch (RuntimeException e) {
            log.debug("offset commit failed: {}", e.toString());
        }
    }

    private void closeClients() {
        try {
            consumer.close(Duration.ofSeconds(2));
        } catch (RuntimeException ignored) {
            // closing anyway
        }
        try {
            producer.close(Duration.ofSeconds(2));
        } catch (RuntimeException ignored) {
            // closing anyway
        }
    }

    /** Stops polling, answers nothing more, commits what was answered. */
    @Override
    public void close() {
        running = false;
        Thread t = thread;
        if (t == null) return;
        KafkaConsumer<byte[], byte[]> c = consumer;
        if (c != null) c.wakeup();
        try {
            t.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The error that stopped the loop, if any. */
    public Throwable failure() {
        return failure;
    }
}
