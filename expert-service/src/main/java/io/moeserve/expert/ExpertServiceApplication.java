package io.moeserve.expert;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/**
 * An expert-service instance: holds the experts its placement plan assigns and serves its
 * {@code moe.dispatch} partition. Run with {@code --add-modules jdk.incubator.vector} (the kernels use
 * the Vector API).
 */
@SpringBootApplication
@ConfigurationPropertiesScan
public class ExpertServiceApplication {
    public static void main(String[] args) {
        SpringApplication.run(ExpertServiceApplication.class, args);
    }
}
