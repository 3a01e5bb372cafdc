package io.moeserve.router.dispatch;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.util.Properties;

/** The router's Kafka client settings for dispatch and combine; each says why it is set (DESIGN.md §7). */
final class RouterKafkaClients {
    private RouterKafkaClients() {
    }

    static Properties producer(String bootstrap, int routerId) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "moe-router-" + routerId + "-dispatch");
        // A retried send after a lost ack must not deliver a dispatch twice (an instance would compute it twice).
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        // Required by idempotence; on a replicated cluster a dispatch also survives a broker loss.
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        // Send each dispatch at once: Kafka 4's default linger of 5 ms would add 5 ms to every layer.
        p.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        // Pipelining without reordering: the most idempotence allows.
        p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "5");
        // Float vectors barely compress; compressing only costs CPU on the hot path.
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "none");
        // A prefill step's dispatch can exceed the 1 MB default (tokens x hidden x 4 bytes).
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, String.valueOf(64 * 1024 * 1024));
        // Without a broker, fail the send within a second so the part fails over to local compute
        // instead of blocking the step for the default minute.
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "1000");
        // A dispatch that cannot be delivered within a few seconds is failed over anyway: stop retrying.
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "1500");
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "3000");
        // Instances added by a new plan get new moe.dispatch partitions: see them within 10 s.
        p.put(ProducerConfig.METADATA_MAX_AGE_CONFIG, "10000");
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        return p;
    }

    static Properties combineConsumer(String bootstrap, int routerId, long fetchMaxWaitMs) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "moe-router-" + routerId + "-combine");
        // No group: the partition is assigned by hand and replies are only useful live, so nothing to commit.
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        // Replies from before this router started answer batches it never sent.
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
        // Hand over a reply the moment it lands.
        p.put(ConsumerConfig.FETCH_MIN_BYTES_CONFIG, "1");
        // With fetch.min.bytes=1 a parked fetch returns as soon as a reply lands; this only bounds idle fetches.
        p.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, String.valueOf(fetchMaxWaitMs));
        // A prefill step's replies can be several MB; take them in one fetch.
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, String.valueOf(64 * 1024 * 1024));
        p.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, String.valueOf(64 * 1024 * 1024));
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        return p;
    }
}
