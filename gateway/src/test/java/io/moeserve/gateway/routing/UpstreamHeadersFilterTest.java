package io.moeserve.gateway.routing;

import org.junit.jupiter.api.Test;

import org.springframework.http.HttpHeaders;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;

import static org.assertj.core.api.Assertions.assertThat;

class UpstreamHeadersFilterTest {

    private final UpstreamHeadersFilter filter = new UpstreamHeadersFilter();

    private static MockServerWebExchange exchange() {
        return MockServerWebExchange.from(MockServerHttpRequest.post("/v1/completions")
                .header(HttpHeaders.AUTHORIZATION, "Bearer sk-secret")
                .header("x-moeserve-key-id", "spoofed")
                .header("X-Moeserve-Anything", "spoofed")
                .header(HttpHeaders.TRANSFER_ENCODING, "chunked")
                .header(HttpHeaders.EXPECT, "100-continue")
                .header(EdgeHeadersFilter.REQUEST_ID, "client-id")
                .header("Content-Type", "application/json"));
    }

    @Test
    void acceptedKey_isReplacedByItsIdAndTheReplayedBodyHasAnExactLength() {
        MockServerWebExchange exchange = exchange();
        exchange.getAttributes().put(UpstreamHeadersFilter.REQUEST_ID_ATTR, "gateway-id");
        exchange.getAttributes().put(UpstreamHeadersFilter.KEY_ID_ATTR, "0123456789abcdef");
        exchange.getAttributes().put(UpstreamHeadersFilter.BODY_LENGTH_ATTR, 42);

        HttpHeaders out = filter.filter(exchange.getRequest().getHeaders(), exchange);

        assertThat(out.get(HttpHeaders.AUTHORIZATION)).isNull();
        assertThat(out.get("X-Moeserve-Anything")).isNull();
        assertThat(out.get(UpstreamHeadersFilter.KEY_ID_HEADER)).containsExactly("0123456789abcdef");
        assertThat(out.get(EdgeHeadersFilter.REQUEST_ID)).containsExactly("gateway-id");
        assertThat(out.get(HttpHeaders.TRANSFER_ENCODING)).isNull();
        assertThat(out.get(HttpHeaders.EXPECT)).isNull();
        assertThat(out.getContentLength()).isEqualTo(42);
        assertThat(out.getFirst("Content-Type")).isEqualTo("application/json");
        assertThat(exchange.getRequest().getHeaders().getFirst(HttpHeaders.AUTHORIZATION)).isEqualTo("Bearer sk-secret");
    }

    @Test
    void withoutAuthOrBody_onlyTheClientsInternalHeadersGo() {
        MockServerWebExchange exchange = exchange();

        HttpHeaders out = filter.filter(exchange.getRequest().getHeaders(), exchange);

        assertThat(out.get("x-moeserve-key-id")).isNull();
        assertThat(out.get("X-Moeserve-Anything")).isNull();
        assertThat(out.getFirst(HttpHeaders.AUTHORIZATION)).isEqualTo("Bearer sk-secret");  // auth off: not the gateway's to drop
        assertThat(out.getFirst(EdgeHeadersFilter.REQUEST_ID)).isEqualTo("client-id");
        assertThat(out.getFirst(HttpHeaders.TRANSFER_ENCODING)).isEqualTo("chunked");
    }
}
