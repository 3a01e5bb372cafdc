package io.moeserve.router.prefix;

import io.micrometer.core.instrument.MeterRegistry;
import io.moeserve.core.kvcache.KvBlockCodec;
import io.moeserve.kvcache.client.KvCacheClient;
import io.moeserve.kvcache.client.KvCacheClientConfig;
import io.moeserve.router.model.ModelRuntime;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.net.URI;

/** Builds the prefix cache when {@code moeserve.router.prefix-cache.enabled=true}. */
@Configuration
@ConditionalOnProperty(name = "moeserve.router.prefix-cache.enabled", havingValue = "true")
public class PrefixCacheConfiguration {

    @Bean(destroyMethod = "close")
    PrefixCache prefixCache(PrefixCacheProperties p, ModelRuntime model, MeterRegistry registry) {
        KvCacheClientConfig cfg = KvCacheClientConfig.defaults().withRedisUri(p.redisUri())
                .withServiceUrl(URI.create(p.serviceUrl())).withNamespace(p.namespace()).withTimeout(p.timeout());
        KvCacheClient client = "http".equals(p.transport()) ? KvCacheClient.http(cfg) : KvCacheClient.direct(cfg);
        KvBlockCodec.Encoding enc = "int8".equalsIgnoreCase(p.encoding()) ? KvBlockCodec.Encoding.INT8 : KvBlockCodec.Encoding.BF16;
        return new PrefixCache(client, model.modelId(), model.config(), enc, registry);
    }
}
