package io.moeserve.expert.plan;

import io.moeserve.core.kafka.ControlProducers;
import io.moeserve.core.kafka.PlacementFollower;
import io.moeserve.core.placement.PlacementPlan;
import io.moeserve.core.wire.PlanAck;
import io.moeserve.core.wire.Topics;
import io.moeserve.expert.serve.ExpertHost;
import io.moeserve.expert.serve.ExpertMetrics;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;

/**
 * The instance's side of a plan change: one {@link PlacementFollower} reads moe.placement and
 * moe.placement-acks; every newer proposal goes to the {@link ExpertHost} (load what it gains) and
 * the host's {@link PlanAck} is published on moe.placement-acks; the plan that becomes active (every
 * named instance acked) is remembered so that a leaving instance knows when routers stopped sending
 * to it. Records that do not parse are counted as rejected "plan" messages.
 */
public final class PlanListener implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PlanListener.class);

    private final ExpertHost host;
    private final KafkaProducer<String, String> producer;
    private final PlacementFollower follower;
    private volatile PlacementPlan active;

    public PlanListener(String bootstrapServers, ExpertHost host, ExpertMetrics metrics) {
        this.host = host;
        // Acks are rare: the base settings (once, in order) and no latency tuning.
        producer = ControlProducers.create(ControlProducers.base(bootstrapServers, "moe-expert-" + host.instanceId() + "-acks"));
        follower = new PlacementFollower(bootstrapServers, "moe-expert-" + host.instanceId() + "-plans", 0, plan -> active = plan)
                .onProposal(this::adopt)
                .onRejected(topic -> metrics.rejected("plan"));
    }

    public PlanListener start() {
        follower.start();
        return this;
    }

    /** The newest plan that every instance it names has acked; {@code null} before any. */
    public PlacementPlan active() {
        return active;
    }

    /** The newest plan seen on moe.placement, active or not; {@code null} before any. */
    public PlacementPlan proposed() {
        return follower.activation().proposed();
    }

    private void adopt(PlacementPlan plan) {
        PlanAck ack = host.adopt(plan);
        if (ack == null) return; // not newer than what the host serves
        producer.send(new ProducerRecord<>(Topics.PLACEMENT_ACKS, 0, host.instanceId(), ack.toJson()), (md, ex) -> {
            if (ex != null) log.warn("plan ack v{} not delivered: {}", ack.planVersion(), ex.toString());
        });
    }

    @Override
    public void close() {
        follower.close();
        producer.close(Duration.ofSeconds(2));
    }
}
