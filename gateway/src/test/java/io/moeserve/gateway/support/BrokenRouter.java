package io.moeserve.gateway.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A router replica that dies on every request, at a chosen moment: before sending any response
 * (as a process killed mid-request would), or after the response headers and the first SSE
 * chunk (killed mid-stream); or one that takes requests and never answers (hung). Raw sockets,
 * because a well-behaved HTTP server cannot misbehave so.
 */
public final class BrokenRouter implements AutoCloseable {

    public enum Mode { DIE_BEFORE_RESPONSE, DIE_MID_STREAM, NEVER_ANSWER }

    private final ServerSocket server;
    private final Mode mode;
    private final AtomicInteger requests = new AtomicInteger();
    private final Thread acceptor;

    public BrokenRouter(Mode mode) throws IOException {
        this.mode = mode;
        this.server = new ServerSocket();
        server.bind(new InetSocketAddress("127.0.0.1", 0));
        this.acceptor = Thread.ofVirtual().start(this::acceptLoop);
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + server.getLocalPort();
    }

    /** Requests that reached this replica (it failed every one). */
    public int requests() {
        return requests.get();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                Thread.ofVirtual().start(() -> serve(socket));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket socket) {
        try (socket) {
            readRequest(socket.getInputStream());
            requests.incrementAndGet();
            if (mode == Mode.NEVER_ANSWER) {
                socket.getInputStream().read();  // holds the connection open, silent, until the gateway gives up
                return;
            }
            if (mode == Mode.DIE_MID_STREAM) {
                OutputStream out = socket.getOutputStream();
                String chunk = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"t0\"}}]}\n\n";
                out.write(("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + Integer.toHexString(chunk.length()) + "\r\n" + chunk + "\r\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
                Thread.sleep(200);
            }
            socket.setSoLinger(true, 0);  // reset, as a killed process' kernel would
        } catch (IOException | InterruptedException e) {
            // the connection is being dropped anyway
        }
    }

    private static void readRequest(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) != -1) {
            head.write(b);
            byte[] h = head.toByteArray();
            int n = h.length;
            if (n >= 4 && h[n - 4] == '\r' && h[n - 3] == '\n' && h[n - 2] == '\r' && h[n - 1] == '\n') {
                break;
            }
        }
        String headers = head.toString(StandardCharsets.ISO_8859_1).toLowerCase();
        int i = headers.indexOf("content-length:");
        if (i >= 0) {
            int end = headers.indexOf("\r\n", i);
            int length = Integer.parseInt(headers.substring(i + 15, end).strip());
            in.readNBytes(length);
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        acceptor.interrupt();
    }
}
