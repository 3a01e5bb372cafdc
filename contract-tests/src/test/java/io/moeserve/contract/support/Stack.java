package io.moeserve.contract.support;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The running stack the contract tests call: a private Redis, one router-service (monolithic
 * engine, bundled tiny model) and the gateway in front of it, all from the built jars. Started once
 * per test run (two cores: one router for everything), stopped when the run ends.
 */
public final class Stack implements AutoCloseable {
    public static final String MODEL = "tiny-moe";
    /** Requests per minute the limited key may make. */
    public static final int LIMITED_RPM = 2;
    private static final Duration STARTUP = Duration.ofMinutes(4);  // a loaded 2-core machine starts Spring slowly

    /** Accepted by the gateway, with the default (generous) limits. */
    public final String apiKey;
    /** Accepted, but with its own budget of LIMITED_RPM requests per minute, stored hashed in Redis. */
    public final String limitedKey;

    private final RedisServer redis;
    private final ServiceProcess router;
    private final ServiceProcess gateway;

    private Stack(String apiKey, String limitedKey, RedisServer redis, ServiceProcess router, ServiceProcess gateway) {
        this.apiKey = apiKey;
        this.limitedKey = limitedKey;
        this.redis = redis;
        this.router = router;
        this.gateway = gateway;
    }

    public static Stack start() throws Exception {
        Path routerJar = Repo.jar("router-service");
        Path gatewayJar = Repo.jar("gateway");
        String apiKey = "ct-" + UUID.randomUUID();
        String limitedKey = "ct-limited-" + UUID.randomUUID();
        RedisServer redis = RedisServer.start();
        ServiceProcess router = null, gateway = null;
        try {
            redis.command("HSET", "moeserve:apikeys", sha256(limitedKey),
                    "{\"name\":\"contract-limited\",\"requests_per_minute\":" + LIMITED_RPM + "}");
            // both JVMs start at once: startup is most of the wait
            router = ServiceProcess.startJar("router", routerJar, List.of(
                    "--moeserve.router.model-dir=" + Repo.modelDir(), "--moeserve.router.model-id=" + MODEL), Map.of());
            gateway = ServiceProcess.startJar("gateway", gatewayJar, List.of(
                    "--moeserve.gateway.routers=" + router.baseUrl(),
                    "--moeserve.gateway.api-keys=" + apiKey,
                    "--moeserve.gateway.redis.uri=" + redis.uri(),
                    "--moeserve.gateway.auth.redis-hash=moeserve:apikeys"), Map.of());
            router.awaitHealthy(STARTUP);
            gateway.awaitHealthy(STARTUP);  // 200 only once it sees a healthy router
            Stack stack = new Stack(apiKey, limitedKey, redis, router, gateway);
            // JUnit closes the stack at the end of the run; this also covers a JVM stopped early (SIGTERM)
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    stack.close();
                } catch (Exception ignored) {
                    // stopping anyway
                }
            }));
            return stack;
        } catch (Exception | Error e) {
            if (gateway != null) gateway.close();
            if (router != null) router.close();
            redis.close();
            throw e;
        }
    }

    /** The public base URL, as OpenAI clients are given it. */
    public String gatewayV1() {
        return gateway.baseUrl() + "/v1";
    }

    public String gatewayUrl() {
        return gateway.baseUrl();
    }

    public String routerUrl() {
        return router.baseUrl();
    }

    static String sha256(String key) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
    }

    @Override
    public void close() throws Exception {
        try {
            gateway.close();
        } finally {
            try {
                router.close();
            } finally {
                redis.close();
            }
        }
    }
}
