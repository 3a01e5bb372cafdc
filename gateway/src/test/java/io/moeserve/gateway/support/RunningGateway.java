package io.moeserve.gateway.support;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.moeserve.gateway.GatewayApplication;

import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The real gateway application on a random port, configured by command-line style properties
 * (which beat application.yml), plus a plain JDK HTTP client to call it like any client would.
 */
public final class RunningGateway implements AutoCloseable {

    private final ConfigurableApplicationContext context;
    private final int port;
    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2))
            .build();

    private RunningGateway(ConfigurableApplicationContext context) {
        this.context = context;
        this.port = context.getEnvironment().getRequiredProperty("local.server.port", Integer.class);
    }

    public static RunningGateway start(Map<String, String> properties) {
        List<String> args = new ArrayList<>(List.of("--server.port=0"));
        properties.forEach((k, v) -> args.add("--" + k + "=" + v));
        return new RunningGateway(new SpringApplicationBuilder(GatewayApplication.class).run(args.toArray(String[]::new)));
    }

    public String url(String path) {
        return "http://127.0.0.1:" + port + path;
    }

    public ConfigurableApplicationContext context() {
        return context;
    }

    public HttpRequest.Builder request(String path, String key) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url(path))).timeout(Duration.ofSeconds(20));
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        return b;
    }

    public HttpResponse<String> get(String path, String key) throws IOException, InterruptedException {
        return send(request(path, key).GET().build());
    }

    public HttpResponse<String> postJson(String path, String key, String json) throws IOException, InterruptedException {
        return send(request(path, key).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build());
    }

    public HttpResponse<String> send(HttpRequest request) throws IOException, InterruptedException {
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }

    public HttpClient client() {
        return http;
    }

    @Override
    public void close() {
        context.close();
    }
}
