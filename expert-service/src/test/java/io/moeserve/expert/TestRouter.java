package io.moeserve.expert;

import io.moeserve.core.wire.CombineMessage;
import io.moeserve.core.wire.Topics;
import io.moeserve.core.wire.WireCodec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/** The router's side of the wire, minimal: raw bytes out on moe.dispatch, replies in on its moe.combine partition. */
public final class TestRouter implements AutoCloseable {
    private final KafkaProducer<byte[], byte[]> producer;
    private final KafkaConsumer<byte[], byte[]> consumer;

    public TestRouter(String bootstrap, int routerId) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
        Properties c = new Properties();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        c.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "20");
        consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        TopicPartition tp = new TopicPartition(Topics.COMBINE, routerId);
        consumer.assign(Set.of(tp));
        consumer.seekToEnd(Set.of(tp));
        consumer.position(tp);
    }

    public void send(int partition, byte[] payload) throws Exception {
        producer.send(new ProducerRecord<>(Topics.DISPATCH, partition, null, payload)).get(10, TimeUnit.SECONDS);
    }

    /** The next reply for {@code batchId} (others are skipped), or null after the timeout. */
    public CombineMessage await(long batchId, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(50))) {
                CombineMessage m = WireCodec.decodeCombine(r.value());
                if (m.batchId() == batchId) return m;
            }
        }
        return null;
    }

    public static Path tinyMoe() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null) {
            Path m = p.resolve("models/tiny-moe");
            if (Files.exists(m.resolve("config.json"))) return m;
            p = p.getParent();
        }
        throw new IllegalStateException("models/tiny-moe not found");
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(2));
        consumer.close(Duration.ofSeconds(2));
    }
}
