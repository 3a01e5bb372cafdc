package io.moeserve.contract.deploy;

import io.moeserve.contract.support.Repo;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The manifests of one kustomization (its resources files, read as plain YAML), with the lookups the
 * tests need: objects by kind and name, a service's workload and container, a container's environment
 * as Kubernetes would give it to a given pod (env, envFrom ConfigMaps, downward API).
 */
final class K8s {
    final Path dir;
    final Map<String, Object> kustomization;
    final List<Map<String, Object>> objects = new ArrayList<>();

    private K8s(Path dir) {
        this.dir = dir;
        this.kustomization = DeployYaml.load(dir.resolve("kustomization.yaml"));
        for (Object r : DeployYaml.list(kustomization.get("resources"))) {
            Path f = dir.resolve(String.valueOf(r));
            if (f.toFile().isDirectory()) continue;  // another kustomization (overlays)
            objects.addAll(DeployYaml.loadAll(f));
        }
    }

    static K8s base() {
        return new K8s(Repo.root().resolve("ops/k8s/base"));
    }

    static K8s of(String dir) {
        return new K8s(Repo.root().resolve(dir));
    }

    String namespace() {
        return String.valueOf(kustomization.get("namespace"));
    }

    List<Map<String, Object>> ofKind(String kind) {
        return objects.stream().filter(o -> kind.equals(o.get("kind"))).toList();
    }

    Map<String, Object> get(String kind, String name) {
        return ofKind(kind).stream().filter(o -> name.equals(DeployYaml.str(o, "metadata.name"))).findFirst()
                .orElseThrow(() -> new AssertionError("no " + kind + " " + name + " in " + dir));
    }

    /** The Deployment or StatefulSet whose pods run image moeserve/SERVICE. */
    Map<String, Object> workload(String service) {
        return objects.stream().filter(o -> List.of("Deployment", "StatefulSet").contains(o.get("kind")))
                .filter(o -> containers(o).stream().anyMatch(c -> String.valueOf(c.get("image")).startsWith("moeserve/" + service + ":")))
                .findFirst().orElseThrow(() -> new AssertionError("no workload runs moeserve/" + service + " in " + dir));
    }

    static List<Map<String, Object>> containers(Map<String, Object> workload) {
        return DeployYaml.maps(DeployYaml.at(workload, "spec.template.spec.containers"));
    }

    Map<String, Object> container(String service) {
        return containers(workload(service)).stream().filter(c -> String.valueOf(c.get("image")).startsWith("moeserve/" + service + ":"))
                .findFirst().orElseThrow();
    }

    Map<String, String> podLabels(Map<String, Object> workload) {
        Map<String, String> out = new LinkedHashMap<>();
        DeployYaml.mapAt(workload, "spec.template.metadata.labels").forEach((k, v) -> out.put(k, String.valueOf(v)));
        return out;
    }

    /**
     * The container's environment in pod number ordinal of its workload: literal values, envFrom
     * ConfigMaps, the downward API (pod name, pod-index label) and Secrets as "(secret)".
     */
    Map<String, String> env(String service, int ordinal) {
        Map<String, Object> w = workload(service);
        String pod = DeployYaml.str(w, "metadata.name") + "-" + ordinal;
        Map<String, String> out = new LinkedHashMap<>();
        Map<String, Object> c = container(service);
        for (Map<String, Object> from : DeployYaml.maps(c.get("envFrom"))) {
            String cm = DeployYaml.str(from, "configMapRef.name");
            if (cm != null) DeployYaml.mapAt(get("ConfigMap", cm), "data").forEach((k, v) -> out.put(k, String.valueOf(v)));
        }
        for (Map<String, Object> e : DeployYaml.maps(c.get("env"))) {
            String name = String.valueOf(e.get("name"));
            if (e.containsKey("value")) {
                out.put(name, String.valueOf(e.get("value")));
                continue;
            }
            String field = DeployYaml.str(e, "valueFrom.fieldRef.fieldPath");
            if ("metadata.name".equals(field)) out.put(name, pod);
            else if ("metadata.labels['apps.kubernetes.io/pod-index']".equals(field)) out.put(name, String.valueOf(ordinal));
            else if ("metadata.namespace".equals(field)) out.put(name, namespace());
            else if (DeployYaml.at(e, "valueFrom.secretKeyRef") != null) out.put(name, "(secret)");
            else throw new AssertionError(service + " env " + name + ": unsupported source " + e);
        }
        return out;
    }

    /** Port number of a named (or numeric) container port. */
    static int port(Map<String, Object> container, Object nameOrNumber) {
        String s = String.valueOf(nameOrNumber);
        if (s.matches("\\d+")) return Integer.parseInt(s);
        return DeployYaml.maps(container.get("ports")).stream().filter(p -> s.equals(p.get("name"))).findFirst()
                .map(p -> ((Number) p.get("containerPort")).intValue())
                .orElseThrow(() -> new AssertionError("container " + container.get("name") + " has no port named " + s));
    }

    /** The Services whose selector picks these pod labels. */
    List<Map<String, Object>> servicesSelecting(Map<String, String> labels) {
        return ofKind("Service").stream().filter(s -> {
            Map<String, Object> sel = DeployYaml.mapAt(s, "spec.selector");
            return !sel.isEmpty() && sel.entrySet().stream().allMatch(e -> String.valueOf(e.getValue()).equals(labels.get(e.getKey())));
        }).toList();
    }

    /** host:port of a ClusterIP Service port by Service name (port number from its first port). */
    String serviceAddress(String name) {
        Map<String, Object> svc = get("Service", name);
        return name + ":" + DeployYaml.maps(DeployYaml.at(svc, "spec.ports")).getFirst().get("port");
    }
}
