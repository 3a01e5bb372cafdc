package io.moeserve.kafka;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.common.utils.Time;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/**
 * Entry point of the broker child process:
 * {@code java -cp <broker classpath> io.moeserve.kafka.LocalKafkaMain --port P --dir D
 * [--controller-port C] [--host H] [--exit-on-stdin-eof]}. Formats the storage on first start, runs
 * a combined broker+controller until SIGTERM (or, with --exit-on-stdin-eof, until its parent's
 * end of the stdin pipe closes, so a crashed test JVM never leaves a broker behind).
 */
public final class LocalKafkaMain {
    public static final String READY_LINE = "moeserve local kafka ready on ";

    private LocalKafkaMain() {
    }

    public static void main(String[] args) throws Exception {
        int port = 9092, controllerPort = -1;
        String host = "127.0.0.1";
        Path dir = null;
        boolean watchStdin = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--port" -> port = Integer.parseInt(args[++i]);
                case "--controller-port" -> controllerPort = Integer.parseInt(args[++i]);
                case "--host" -> host = args[++i];
                case "--dir" -> dir = Path.of(args[++i]).toAbsolutePath();
                case "--exit-on-stdin-eof" -> watchStdin = true;
                default -> {
                    System.err.println("unknown argument " + args[i]
                            + "; usage: --port P --dir D [--controller-port C] [--host H] [--exit-on-stdin-eof]");
                    System.exit(2);
                }
            }
        }
        if (dir == null) {
            System.err.println("--dir is required");
            System.exit(2);
        }
        if (controllerPort < 0) controllerPort = port + 1;
        Files.createDirectories(dir);
        configureLogging(dir);

        Properties props = BrokerConfig.of(host, port, controllerPort, dir);
        Path propsFile = dir.resolve("server.properties");
        try (OutputStream out = Files.newOutputStream(propsFile)) {
            props.store(out, "written by LocalKafkaMain at every start");
        }
        if (!Files.exists(dir.resolve("logs").resolve("meta.properties"))) {
            int rc = StorageTool.execute(new String[]{"format", "-t", BrokerConfig.CLUSTER_ID, "-c", propsFile.toString(),
                    "--ignore-formatted"}, System.out);
            if (rc != 0) {
                System.err.println("formatting " + dir + " failed with exit code " + rc);
                System.exit(1);
            }
        }
        KafkaRaftServer server = new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM);
        try {
            server.startup();
        } catch (Throwable t) {
            // Kafka's non-daemon threads would keep a half-started broker alive forever: die visibly.
            System.err.println("the Kafka broker failed to start: " + t);
            t.printStackTrace();
            System.err.flush();
            Runtime.getRuntime().halt(1);
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.shutdown();
            server.awaitShutdown();
        }, "kafka-shutdown"));
        System.out.println(READY_LINE + host + ":" + port);
        System.out.flush();
        if (watchStdin) {
            Thread watcher = new Thread(() -> {
                try {
                    while (System.in.read() >= 0) {
                        // the parent never writes; EOF means it is gone
                    }
                } catch (IOException ignored) {
                    // same as EOF
                }
                System.exit(0); // runs the shutdown hook: a clean broker stop
            }, "parent-watch");
            watcher.setDaemon(true);
            watcher.start();
        }
        server.awaitShutdown();
    }

    /** Log4j 2 to stdout (the parent sends it to broker.log), INFO for the broker, quiet for chatty loggers. */
    private static void configureLogging(Path dir) throws IOException {
        if (System.getProperty("log4j2.configurationFile") != null) return;
        Path cfg = dir.resolve("log4j2.properties");
        Files.writeString(cfg, """
                appender.out.type = Console
                appender.out.name = OUT
                appender.out.layout.type = PatternLayout
                appender.out.layout.pattern = [%d] %p %m (%c)%n
                rootLogger.level = INFO
                rootLogger.appenderRef.out.ref = OUT
                logger.request.name = kafka.request.logger
                logger.request.level = WARN
                logger.state.name = state.change.logger
                logger.state.level = WARN
                logger.clients.name = org.apache.kafka.clients
                logger.clients.level = WARN
                logger.config.name = org.apache.kafka.common.config
                logger.config.level = WARN
                logger.kconfig.name = kafka.server.KafkaConfig
                logger.kconfig.level = WARN
                """);
        System.setProperty("log4j2.configurationFile", cfg.toString());
    }
}
