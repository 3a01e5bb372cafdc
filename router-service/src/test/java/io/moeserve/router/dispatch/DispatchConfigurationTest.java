package io.moeserve.router.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.moeserve.core.checkpoint.Checkpoint;
import io.moeserve.core.wire.Topics;
import io.moeserve.core.wire.WireDType;
import io.moeserve.kafka.LocalKafka;
import io.moeserve.router.TestModel;
import io.moeserve.router.config.RouterProperties;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Configuration;

/** The Spring wiring of the Kafka backend: only with experts=kafka, bound properties, topics created, started. */
class DispatchConfigurationTest {

    @Configuration
    @EnableConfigurationProperties({DispatchProperties.class, RouterProperties.class})
    static class Props {
    }

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withUserConfiguration(Props.class, DispatchConfiguration.class)
            .withBean(Checkpoint.class, () -> Checkpoint.open(TestModel.dir()))
            .withBean(MeterRegistry.class, SimpleMeterRegistry::new)
            .withPropertyValues("moeserve.router.model-dir=" + TestModel.dir());

    @Test
    void expertsKafka_startsTheBackendOnTheGeneratedPlan_andCreatesTheTopicsItNeeds() {
        LocalKafka kafka = LocalKafka.shared();
        runner.withPropertyValues("moeserve.router.experts=kafka",
                "moeserve.router.dispatch.bootstrap-servers=" + kafka.bootstrapServers(),
                "moeserve.router.dispatch.router-id=11", "moeserve.router.dispatch.round-robin-instances=3",
                "moeserve.router.dispatch.deadline=750ms", "moeserve.router.dispatch.dtype=BF16").run(ctx -> {
            assertThat(ctx).hasNotFailed().hasSingleBean(KafkaExpertBackend.class);
            KafkaExpertBackend backend = ctx.getBean(KafkaExpertBackend.class);
            assertThat(backend.plan().instances()).hasSize(3);
            assertThat(backend.plan().expertsOf("expert-2")).isNotEmpty();
            DispatchProperties props = ctx.getBean(DispatchProperties.class);
            assertThat(props.settings().deadline().toMillis()).isEqualTo(750);
            assertThat(props.settings().dtype()).isEqualTo(WireDType.BF16);
            Properties p = new Properties();
            p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
            try (Admin admin = Admin.create(p)) {
                var topics = admin.describeTopics(List.of(Topics.DISPATCH, Topics.COMBINE, Topics.PLACEMENT)).allTopicNames()
                        .get(10, TimeUnit.SECONDS);
                assertThat(topics.get(Topics.DISPATCH).partitions().size()).isGreaterThanOrEqualTo(3);
                assertThat(topics.get(Topics.COMBINE).partitions().size()).isGreaterThanOrEqualTo(12);
            }
        });
    }

    @Test
    void expertsLocal_noKafkaBackend() {
        runner.withPropertyValues("moeserve.router.experts=local")
                .run(ctx -> assertThat(ctx).hasNotFailed().doesNotHaveBean(KafkaExpertBackend.class));
    }
}
