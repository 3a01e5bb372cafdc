package io.moeserve.kvcache.client;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A throw-away redis-server on a free port, for tests that need to kill Redis mid-test
 * (the machine's shared Redis must never be stopped). No persistence: a restart comes back empty.
 */
public final class RedisProcess implements AutoCloseable {
    private final int port;
    private Process process;

    private RedisProcess(int port) {
        this.port = port;
    }

    public static RedisProcess start() {
        RedisProcess r = new RedisProcess(freePort());
        r.restart();
        return r;
    }

    /** A process that is not started yet: its port is free now and reserved for it by convention. */
    public static RedisProcess notStarted() {
        return new RedisProcess(freePort());
    }

    public int port() {
        return port;
    }

    public String uri() {
        return "redis://127.0.0.1:" + port;
    }

    /** Starts (again) on the same port and waits until it answers PING. */
    public void restart() {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("redis on port " + port + " is already running");
        }
        try {
            process = new ProcessBuilder(List.of("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
                    "--save", "", "--appendonly", "no", "--dir", Path.of(System.getProperty("java.io.tmpdir")).toString()))
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot start redis-server (is it installed?)", e);
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!ping()) {
            if (System.nanoTime() > deadline || !process.isAlive()) {
                throw new IllegalStateException("redis-server on port " + port + " did not come up");
            }
            sleep(20);
        }
    }

    /** Kills the server like a crash (SIGKILL) and waits until it is gone. */
    public void kill() {
        if (process != null) {
            process.destroyForcibly();
            try {
                process.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    public boolean ping() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 200);
            s.setSoTimeout(500);
            OutputStream out = s.getOutputStream();
            out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            byte[] buf = new byte[7];
            int n = in.readNBytes(buf, 0, 7);
            return n == 7 && new String(buf, StandardCharsets.US_ASCII).equals("+PONG\r\n");
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void close() {
        kill();
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
