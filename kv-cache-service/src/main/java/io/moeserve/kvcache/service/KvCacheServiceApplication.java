package io.moeserve.kvcache.service;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;
import org.springframework.scheduling.annotation.EnableScheduling;

/** kv-cache-service: the shared, prefix-addressed KV block cache of every router replica. */
@SpringBootApplication
@ConfigurationPropertiesScan
@EnableScheduling
public class KvCacheServiceApplication {
    public static void main(String[] args) {
        SpringApplication.run(KvCacheServiceApplication.class, args);
    }
}
