package io.moeserve.gateway;

import java.util.Map;

import io.moeserve.gateway.support.FakeRouter;
import io.moeserve.gateway.support.RedisProcess;
import io.moeserve.gateway.support.RunningGateway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInstance;

/**
 * A gateway with its own redis-server, which tests stop and start again to see what the gateway
 * does while Redis is away (on-redis-failure = {@link #policy()}). Each test starts with Redis up
 * and rate limiting working.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class RedisDownPolicyBase {

    static final String KEY = "sk-redis-down";
    static final String BODY = "{\"model\":\"tiny-moe\",\"prompt\":\"x\"}";

    FakeRouter router;
    RedisProcess redis;
    RunningGateway gateway;

    abstract String policy();

    @BeforeAll
    void start() throws Exception {
        router = new FakeRouter("r");
        redis = RedisProcess.start();
        gateway = RunningGateway.start(Map.of(
                "moeserve.gateway.routers", router.baseUrl(),
                "moeserve.gateway.api-keys", KEY,
                "moeserve.gateway.redis.uri", redis.uri(),
                "moeserve.gateway.redis.timeout", "1s",
                "moeserve.gateway.rate-limit.on-redis-failure", policy()));
    }

    @BeforeEach
    void redisUp() throws Exception {
        if (!redis.isRunning()) {
            redis.startAgain();
        }
        awaitRateLimitedAgain();
    }

    @AfterAll
    void stop() throws Exception {
        gateway.close();
        router.close();
        redis.close();
    }

    /** Waits until a request is admitted through Redis again (its rate-limit headers are back). */
    void awaitRateLimitedAgain() throws Exception {
        long deadline = System.currentTimeMillis() + 10_000;
        while (System.currentTimeMillis() < deadline) {
            var r = gateway.postJson("/v1/completions", KEY, BODY);
            if (r.statusCode() == 200 && r.headers().firstValue("x-ratelimit-remaining-requests").isPresent()) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("rate limiting did not resume after Redis came back");
    }
}
