package io.moeserve.kvcache.client;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.LettuceFutures;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Owns one Lettuce client and its single multiplexed binary connection, set up to fail fast:
 * commands time out, and while disconnected they are rejected at once instead of queued, so a
 * Redis outage costs callers microseconds, not a timeout each. The connection is opened lazily
 * (a process may start while Redis is down) and reconnects on its own with at most 1 s between
 * attempts, so the cache is used again soon after Redis returns.
 */
public final class RedisConnector implements AutoCloseable {
    private final RedisClient client;
    private final ClientResources resources;
    private final Duration timeout;
    private volatile StatefulRedisConnection<byte[], byte[]> connection;

    public RedisConnector(String redisUri, Duration timeout) {
        this(RedisURI.create(redisUri), timeout);
    }

    public RedisConnector(RedisURI uri, Duration timeout) {
        this.timeout = timeout;
        uri.setTimeout(timeout);
        this.resources = ClientResources.builder()
                .reconnectDelay(Delay.exponential(Duration.ofMillis(20), Duration.ofSeconds(1), 2, TimeUnit.MILLISECONDS))
                .build();
        this.client = RedisClient.create(resources, uri);
        client.setOptions(ClientOptions.builder()
                .autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .timeoutOptions(TimeoutOptions.enabled(timeout))
                .socketOptions(SocketOptions.builder().connectTimeout(timeout).keepAlive(true).build())
                .build());
    }

    StatefulRedisConnection<byte[], byte[]> connection() {
        StatefulRedisConnection<byte[], byte[]> c = connection;
        if (c == null) {
            synchronized (this) {
                if (connection == null) {
                    connection = client.connect(ByteArrayCodec.INSTANCE);
                }
                c = connection;
            }
        }
        return c;
    }

    RedisCommands<byte[], byte[]> sync() {
        return connection().sync();
    }

    Duration timeout() {
        return timeout;
    }

    /** EVALSHA, falling back to EVAL (which re-caches the script) after a Redis restart or SCRIPT FLUSH. */
    <T> T eval(KvScripts.Script script, ScriptOutputType type, byte[][] keys, byte[]... args) {
        RedisCommands<byte[], byte[]> redis = sync();
        try {
            return redis.evalsha(script.sha(), type, keys, args);
        } catch (RedisNoScriptException e) {
            return redis.eval(script.source(), type, keys, args);
        }
    }

    /** Waits for a pipelined command within the call timeout; Redis errors surface as Lettuce exceptions. */
    <T> T await(RedisFuture<T> future) {
        return LettuceFutures.awaitOrCancel(future, timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    @Override
    public void close() {
        StatefulRedisConnection<byte[], byte[]> c = connection;
        if (c != null) {
            c.close();
        }
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        resources.shutdown();
    }
}
