package io.moeserve.core.kafka;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.StringSerializer;

import java.util.Properties;

/**
 * The settings every producer of the JSON control topics shares (moe.placement, moe.placement-acks,
 * moe.heartbeats, moe.routing-stats); each caller adds what its own records need, with its reason.
 */
public final class ControlProducers {
    private ControlProducers() {
    }

    public static Properties base(String bootstrapServers, String clientId) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        // A record retried after a lost ack must land once and in order: a plan, an ack or a heartbeat
        // out of order would be misread, a statistics window counted twice would skew the average.
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        // Required by idempotence; on a replicated cluster a control record also survives a broker loss.
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        return p;
    }

    /** A producer of JSON records keyed by string. */
    public static KafkaProducer<String, String> create(Properties settings) {
        return new KafkaProducer<>(settings, new StringSerializer(), new StringSerializer());
    }
}
