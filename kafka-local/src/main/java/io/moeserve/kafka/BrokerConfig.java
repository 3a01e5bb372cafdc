package io.moeserve.kafka;

import java.nio.file.Path;
import java.util.Properties;

/**
 * The server.properties of the local single-node broker: one KRaft node that is both broker and
 * controller, tuned for a laptop or a 2-core CI machine and for moeserve's low-latency hops.
 */
final class BrokerConfig {
    static final String CLUSTER_ID = "bW9lc2VydmUtbG9jYWwx"; // fixed: a formatted dir is reusable across restarts

    private BrokerConfig() {
    }

    static Properties of(String host, int port, int controllerPort, Path dir) {
        Properties p = new Properties();
        p.setProperty("process.roles", "broker,controller");
        p.setProperty("node.id", "1");
        p.setProperty("controller.quorum.voters", "1@" + host + ":" + controllerPort);
        p.setProperty("listeners", "PLAINTEXT://" + host + ":" + port + ",CONTROLLER://" + host + ":" + controllerPort);
        p.setProperty("advertised.listeners", "PLAINTEXT://" + host + ":" + port);
        p.setProperty("controller.listener.names", "CONTROLLER");
        p.setProperty("inter.broker.listener.name", "PLAINTEXT");
        p.setProperty("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.setProperty("log.dirs", dir.resolve("logs").toString());
        // A single node: every internal topic must fit on one replica.
        p.setProperty("offsets.topic.replication.factor", "1");
        p.setProperty("transaction.state.log.replication.factor", "1");
        p.setProperty("transaction.state.log.min.isr", "1");
        p.setProperty("share.coordinator.state.topic.replication.factor", "1");
        p.setProperty("share.coordinator.state.topic.min.isr", "1");
        // Few partitions for __consumer_offsets: faster start, and one node serves them all anyway.
        p.setProperty("offsets.topic.num.partitions", "4");
        // The default 3 s delay before the first group rebalance would stall every consumer start.
        p.setProperty("group.initial.rebalance.delay.ms", "0");
        // Topics are created explicitly with the partition counts the plan needs; a typo must fail, not create.
        p.setProperty("auto.create.topics.enable", "false");
        p.setProperty("num.partitions", "1");
        // Small machine: few threads.
        p.setProperty("num.network.threads", "2");
        p.setProperty("num.io.threads", "2");
        p.setProperty("background.threads", "2");
        // Dispatch/combine payloads are large and useless after a few seconds: keep little on disk.
        p.setProperty("log.retention.ms", "600000");
        p.setProperty("log.segment.bytes", String.valueOf(64 * 1024 * 1024));
        p.setProperty("log.retention.check.interval.ms", "60000");
        // Messages of a big prefill step can exceed the 1 MB default.
        p.setProperty("message.max.bytes", String.valueOf(64 * 1024 * 1024));
        p.setProperty("replica.fetch.max.bytes", String.valueOf(64 * 1024 * 1024));
        return p;
    }
}
