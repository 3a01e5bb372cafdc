package io.moeserve.kvcache.service;

import io.lettuce.core.RedisURI;
import io.moeserve.kvcache.client.KvKeySchema;
import io.moeserve.kvcache.client.RedisConnector;
import io.moeserve.kvcache.client.RedisKvAdmin;
import io.moeserve.kvcache.client.RedisKvBlockStore;
import org.apache.catalina.connector.Connector;
import org.springframework.boot.data.redis.autoconfigure.DataRedisConnectionDetails;
import org.springframework.boot.tomcat.TomcatConnectorCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Wires the client module's Redis store into the service: same key schema, same scripts, so the
 * HTTP API and direct clients see one cache. Redis address from {@code spring.data.redis.*}.
 */
@Configuration(proxyBeanMethods = false)
class RedisStoreConfig {

    @Bean(destroyMethod = "close")
    RedisConnector redisConnector(DataRedisConnectionDetails redis, KvCacheProperties props) {
        DataRedisConnectionDetails.Standalone s = redis.getStandalone();
        RedisURI.Builder uri = RedisURI.builder().withHost(s.getHost()).withPort(s.getPort()).withDatabase(s.getDatabase());
        if (redis.getPassword() != null) {
            uri = redis.getUsername() != null
                    ? uri.withAuthentication(redis.getUsername(), redis.getPassword().toCharArray())
                    : uri.withPassword(redis.getPassword().toCharArray());
        }
        return new RedisConnector(uri.build(), props.redisTimeout());
    }

    @Bean
    KvKeySchema kvKeySchema(KvCacheProperties props) {
        return new KvKeySchema(props.namespace());
    }

    @Bean
    RedisKvBlockStore redisKvBlockStore(RedisConnector redis, KvKeySchema schema, KvCacheProperties props) {
        return new RedisKvBlockStore(redis, schema, props.defaultPolicy().toKvPolicy());
    }

    @Bean
    RedisKvAdmin redisKvAdmin(RedisConnector redis, KvKeySchema schema, KvCacheProperties props) {
        return new RedisKvAdmin(redis, schema, props.defaultPolicy().toKvPolicy());
    }

    /** Model ids may contain '/' (org/name): let %2F through Tomcat so it stays inside {model}. */
    @Bean
    TomcatConnectorCustomizer encodedSlashInModelIds() {
        return (Connector c) -> c.setEncodedSolidusHandling("passthrough");
    }
}
