package io.moeserve.kafka;

import io.moeserve.core.kafka.KafkaTopics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalKafkaTest {

    @Test
    void realBroker_createsTopicsWithPartitions_andRecordsRoundTrip_thenRestartsOnSameDir(@TempDir Path dir) throws Exception {
        try (LocalKafka kafka = LocalKafka.start(dir.resolve("kafka"))) {
            kafka.createTopics(Map.of("t.three", 3, "t.one", 1));
            kafka.createTopics(List.of(KafkaTopics.Spec.compacted("t.compact", 1), KafkaTopics.Spec.of("t.three", 5)));
            try (Admin admin = admin(kafka)) {
                var desc = admin.describeTopics(List.of("t.three", "t.one", "t.compact")).allTopicNames().get(10, TimeUnit.SECONDS);
                assertThat(desc.get("t.three").partitions()).hasSize(5); // grown from 3
                assertThat(desc.get("t.one").partitions()).hasSize(1);
                ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, "t.compact");
                ConfigEntry policy = admin.describeConfigs(List.of(r)).all().get(10, TimeUnit.SECONDS).get(r).get("cleanup.policy");
                assertThat(policy.value()).isEqualTo("compact");
                ConfigResource broker = new ConfigResource(ConfigResource.Type.BROKER, "1");
                var cfg = admin.describeConfigs(List.of(broker)).all().get(10, TimeUnit.SECONDS).get(broker);
                assertThat(cfg.get("auto.create.topics.enable").value()).isEqualTo("false");
                assertThat(cfg.get("group.initial.rebalance.delay.ms").value()).isEqualTo("0");
            }
            assertThat(roundTrip(kafka, "t.three", 4, "hello")).isEqualTo("hello");
        }
        // Second start on the same (already formatted) directory keeps the data.
        try (LocalKafka again = LocalKafka.start(dir.resolve("kafka"))) {
            try (Admin admin = admin(again)) {
                assertThat(admin.listTopics().names().get(10, TimeUnit.SECONDS)).contains("t.three", "t.one", "t.compact");
            }
            again.kill();
            assertThat(again.isAlive()).isFalse();
        }
        assertThat(Files.readString(dir.resolve("kafka/broker.log"))).contains(LocalKafkaMain.READY_LINE);
    }

    @Test
    void brokerThatCannotStart_failsFastWithItsLog(@TempDir Path dir) throws Exception {
        try (var taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> LocalKafka.start(dir.resolve("b"), taken.getLocalPort()))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("exited with code 1").hasMessageContaining("broker.log");
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(60));
        }
    }

    private static Admin admin(LocalKafka kafka) {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        return Admin.create(p);
    }

    private static String roundTrip(LocalKafka kafka, String topic, int partition, String value) throws Exception {
        Properties pp = new Properties();
        pp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        pp.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        Properties cp = new Properties();
        cp.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        cp.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        try (var producer = new KafkaProducer<>(pp, new StringSerializer(), new StringSerializer());
             var consumer = new KafkaConsumer<>(cp, new StringDeserializer(), new StringDeserializer())) {
            producer.send(new ProducerRecord<>(topic, partition, null, value)).get(10, TimeUnit.SECONDS);
            consumer.assign(Set.of(new TopicPartition(topic, partition)));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (System.nanoTime() < deadline) {
                ConsumerRecords<String, String> recs = consumer.poll(Duration.ofMillis(200));
                if (!recs.isEmpty()) return recs.iterator().next().value();
            }
            return null;
        }
    }
}
