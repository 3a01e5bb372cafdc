package io.moeserve.router.api;

import io.moeserve.router.scheduler.Scheduler;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.TestPropertySource;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** A full admission queue answers 503 with Retry-After instead of queueing without bound. */
@TestPropertySource(properties = {"moeserve.router.max-running=1", "moeserve.router.queue-capacity=1"})
class OverloadApiTest extends ApiTestSupport {
    @Autowired
    Scheduler scheduler;

    static final String LONG = "{\"model\":\"tiny-moe\",\"prompt\":\"The king\",\"max_tokens\":1000,\"ignore_eos\":true,\"stream\":true}";

    @Test
    void fullQueue_gets503WithRetryAfter_andServiceRecovers() throws Exception {
        try (Socket running = open(LONG)) {
            awaitFirstEvent(running);  // holds the one batch slot
            try (Socket waiting = open(LONG)) {
                long deadline = System.nanoTime() + 30_000_000_000L;
                while (scheduler.waitingCount() < 1 && System.nanoTime() < deadline) Thread.sleep(10);
                assertThat(scheduler.waitingCount()).as("the second fills the queue (capacity 1)").isEqualTo(1);
                Reply r = post("/v1/chat/completions", "{\"model\":\"tiny-moe\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
                assertError(r, 503, null);
                assertThat(r.json().at("/error/code").asString()).isEqualTo("overloaded");
                assertThat(r.headers().firstValue("retry-after")).hasValueSatisfying(v -> assertThat(Integer.parseInt(v)).isPositive());
            }
        }
        // both clients left: their slots free up, and a normal request is served again
        Reply ok = null;
        for (int i = 0; i < 50 && (ok == null || ok.status() != 200); i++) {
            if (ok != null) Thread.sleep(100);
            ok = post("/v1/completions", "{\"model\":\"tiny-moe\",\"prompt\":\"hi\",\"max_tokens\":2}");
        }
        assertThat(ok.status()).isEqualTo(200);
    }

    private Socket open(String body) throws Exception {
        Socket s = new Socket("127.0.0.1", port);
        OutputStream out = s.getOutputStream();
        out.write(("POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: "
                + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8));
        out.flush();
        return s;
    }

    private static void awaitFirstEvent(Socket s) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
        StringBuilder seen = new StringBuilder();
        String line;
        while ((line = in.readLine()) != null && !line.startsWith("data: ")) {
            seen.append(line).append('\n');  // status line, headers, chunk sizes
        }
        assertThat(line).as("first event; before it: %s", seen).startsWith("data: ");
    }
}
