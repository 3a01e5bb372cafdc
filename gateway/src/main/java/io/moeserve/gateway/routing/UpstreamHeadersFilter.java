package io.moeserve.gateway.routing;

import java.util.ArrayList;
import java.util.List;

import org.springframework.cloud.gateway.filter.headers.HttpHeadersFilter;
import org.springframework.core.Ordered;
import org.springframework.http.HttpHeaders;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;

/**
 * The request headers a router gets, decided in one place, on the copy Spring Cloud Gateway makes
 * for the upstream request anyway (each filter mutating the exchange's request would copy them
 * again, at a cost every request pays). The filters that decide only leave exchange attributes:
 * <ul>
 *   <li>{@code X-Moeserve-*} headers a client sent are always dropped: only the gateway speaks for a request;</li>
 *   <li>{@link #REQUEST_ID_ATTR}: the {@code X-Request-Id} the router and the client both see;</li>
 *   <li>{@link #KEY_ID_ATTR}: the accepted key's id, sent as {@code X-Moeserve-Key-Id} instead of the
 *       {@code Authorization} header, which is then dropped so routers never see (or log) the key;</li>
 *   <li>{@link #BODY_LENGTH_ATTR}: the length of the body the gateway read and replays, sent with an exact
 *       {@code Content-Length} (no {@code Transfer-Encoding}, no {@code Expect}: the body is already here).</li>
 * </ul>
 */
@Component
public class UpstreamHeadersFilter implements HttpHeadersFilter, Ordered {

    public static final String REQUEST_ID_ATTR = UpstreamHeadersFilter.class.getName() + ".requestId";
    public static final String KEY_ID_ATTR = UpstreamHeadersFilter.class.getName() + ".keyId";
    public static final String BODY_LENGTH_ATTR = UpstreamHeadersFilter.class.getName() + ".bodyLength";
    public static final String KEY_ID_HEADER = "X-Moeserve-Key-Id";

    @Override
    public int getOrder() {
        return Ordered.LOWEST_PRECEDENCE;  // last: what it sets is not undone by another header filter
    }

    @Override
    public boolean supports(Type type) {
        return type == Type.REQUEST;
    }

    @Override
    public HttpHeaders filter(HttpHeaders input, ServerWebExchange exchange) {
        HttpHeaders headers = new HttpHeaders();  // the input may be the client's read-only headers
        headers.addAll(input);
        List<String> internal = new ArrayList<>(2);
        for (String name : headers.headerNames()) {
            if (name.regionMatches(true, 0, "X-Moeserve-", 0, 11)) {
                internal.add(name);
            }
        }
        internal.forEach(headers::remove);
        String requestId = exchange.getAttribute(REQUEST_ID_ATTR);
        if (requestId != null) {
            headers.set(EdgeHeadersFilter.REQUEST_ID, requestId);
        }
        String keyId = exchange.getAttribute(KEY_ID_ATTR);
        if (keyId != null) {
            headers.remove(HttpHeaders.AUTHORIZATION);
            headers.set(KEY_ID_HEADER, keyId);
        }
        Integer bodyLength = exchange.getAttribute(BODY_LENGTH_ATTR);
        if (bodyLength != null) {
            headers.remove(HttpHeaders.TRANSFER_ENCODING);
            headers.remove(HttpHeaders.EXPECT);
            headers.setContentLength(bodyLength);
        }
        return headers;
    }
}
