package io.moeserve.gateway.routing;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.netty.channel.EventLoop;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.netty.Connection;

import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
import org.springframework.web.server.ServerWebExchange;

/**
 * Schedulers for per-request timers that run on the event loop serving the request: a timer set
 * from that loop is a queue insertion on the same thread. Reactor's default timer scheduler is a
 * shared thread that each new timer may have to wake, and on a busy machine that wake-up and the
 * thread's run sit on the request's path.
 */
final class EventLoopTimers {

    private final Map<EventLoop, Scheduler> schedulers = new ConcurrentHashMap<>();

    /** The scheduler of the exchange's event loop; Reactor's parallel scheduler if it has none (not served by Netty). */
    Scheduler of(ServerWebExchange exchange) {
        Object nativeRequest = ServerHttpRequestDecorator.getNativeRequest(exchange.getRequest());
        if (nativeRequest instanceof Connection connection) {
            return schedulers.computeIfAbsent(connection.channel().eventLoop(), loop -> Schedulers.fromExecutorService(loop));
        }
        return Schedulers.parallel();
    }
}
