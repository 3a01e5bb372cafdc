package io.moeserve.expert.serve;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;

import java.time.Duration;
import java.util.Properties;

/** The Kafka client settings of the dispatch hot path; each says why it is set (DESIGN.md §7). */
public final class ExpertKafkaClients {
    private ExpertKafkaClients() {
    }

    /** Producer of combine replies. */
    public static Properties producer(String bootstrap, String clientId) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        // A retried send after a lost ack must not write the reply twice or reorder replies.
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        // Required by idempotence; on a replicated cluster it also means a reply survives a broker loss.
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        // Send each reply at once: Kafka 4 defaults to 5 ms, which would add 5 ms to every layer's round trip.
        p.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        // Pipelining without reordering: the most idempotence allows.
        p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "5");
        // Float vectors barely compress; compressing would only cost CPU on the hot path.
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "none");
        // A prefill step's reply can exceed the 1 MB default (tokens x hidden x 4 bytes).
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, String.valueOf(64 * 1024 * 1024));
        // A reply later than the router's deadline is useless: stop retrying after 10 s instead of 2 minutes.
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "10000");
        // Don't block the poll loop for a minute when the broker is away; fail the send and carry on.
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "5000");
        // A router replica added later gets a new moe.combine partition: see it within 10 s, not the 5 min default.
        p.put(ProducerConfig.METADATA_MAX_AGE_CONFIG, "10000");
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, "org.apache.kafka.common.serialization.ByteArraySerializer");
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, "org.apache.kafka.common.serialization.ByteArraySerializer");
        return p;
    }

    /** Consumer of this instance's dispatch partition (manually assigned; the group only stores offsets). */
    public static Properties dispatchConsumer(String bootstrap, String instanceId, Duration fetchMaxWait) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "moe-expert-" + instanceId + "-dispatch");
        // Committed offsets under this group make the consumer lag visible (KEDA scales on it);
        // with assign() the group never rebalances.
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "moe-expert-" + instanceId);
        // Offsets are committed by the loop after the messages are answered, on its own schedule.
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        // A (re)started instance serves new steps; old dispatches have been failed over by the router.
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
        // Answer a fetch as soon as a single dispatch is there.
        p.put(ConsumerConfig.FETCH_MIN_BYTES_CONFIG, "1");
        // With fetch.min.bytes=1 a parked fetch returns the moment a record lands, so this only bounds
        // idle fetches; low keeps the loop responsive (stop, wakeup) at a small cost in empty requests.
        p.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, String.valueOf(fetchMaxWait.toMillis()));
        // A prefill step's dispatch can be several MB; take it in one fetch.
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, String.valueOf(64 * 1024 * 1024));
        p.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, String.valueOf(64 * 1024 * 1024));
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, "org.apache.kafka.common.serialization.ByteArrayDeserializer");
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, "org.apache.kafka.common.serialization.ByteArrayDeserializer");
        return p;
    }
}
