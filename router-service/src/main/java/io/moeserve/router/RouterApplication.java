package io.moeserve.router;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/** The router: tokenizer, dense layers, continuous batching, and the OpenAI-style API. */
@SpringBootApplication
@ConfigurationPropertiesScan
public class RouterApplication {
    public static void main(String[] args) {
        System.setProperty("DJL_OFFLINE", "true");
        SpringApplication.run(RouterApplication.class, args);
    }
}
