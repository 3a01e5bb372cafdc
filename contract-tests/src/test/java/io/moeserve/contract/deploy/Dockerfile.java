package io.moeserve.contract.deploy;

import io.moeserve.contract.support.Repo;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A Dockerfile as a list of instructions (continuation lines joined, comments dropped). */
record Dockerfile(Path file, List<String> instructions) {

    static Dockerfile of(ServiceModule service) {
        Path f = service.dir().resolve("Dockerfile");
        if (!Files.exists(f)) throw new AssertionError(service.name() + " has no Dockerfile at " + Repo.root().relativize(f));
        return at(Repo.root().relativize(f).toString());
    }

    /** The Dockerfile at this path of the repository. */
    static Dockerfile at(String path) {
        Path f = Repo.root().resolve(path);
        if (!Files.exists(f)) throw new AssertionError("no Dockerfile at " + path);
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        for (String line : ServiceModule.read(f).split("\n")) {
            String t = line.strip();
            if (t.startsWith("#") || (t.isEmpty() && cur.isEmpty())) continue;
            if (t.endsWith("\\")) {
                cur.append(t, 0, t.length() - 1).append(' ');
                continue;
            }
            cur.append(t);
            if (!cur.toString().isBlank()) out.add(cur.toString().strip());
            cur.setLength(0);
        }
        return new Dockerfile(f, out);
    }

    List<String> all(String keyword) {
        return instructions.stream().filter(i -> i.toUpperCase().startsWith(keyword + " ")).map(i -> i.substring(keyword.length()).strip()).toList();
    }

    Optional<String> last(String keyword) {
        List<String> a = all(keyword);
        return a.isEmpty() ? Optional.empty() : Optional.of(a.getLast());
    }

    /** The base image of the final stage. */
    String runtimeBase() {
        return all("FROM").getLast().split("\\s+")[0];
    }

    /** Files copied from the build context (not from another stage): source paths. */
    List<String> contextSources() {
        List<String> out = new ArrayList<>();
        for (String c : all("COPY")) {
            if (c.contains("--from=")) continue;
            List<String> parts = List.of(c.replaceAll("--\\S+", "").trim().split("\\s+"));
            out.addAll(parts.subList(0, parts.size() - 1));
        }
        return out;
    }

    /** Image path -> context path of COPY instructions that copy a single context file. */
    Optional<String> contextSourceOf(String imagePath) {
        for (String c : all("COPY")) {
            if (c.contains("--from=")) continue;
            List<String> parts = List.of(c.replaceAll("--\\S+", "").trim().split("\\s+"));
            if (parts.size() == 2 && parts.get(1).equals(imagePath)) return Optional.of(parts.getFirst());
        }
        return Optional.empty();
    }

    /**
     * Where the image holds a file copied from the build context: the COPY destination, resolved against
     * the WORKDIR in force at that COPY; empty when no COPY of the final stage copies exactly that file.
     */
    Optional<String> imagePathOf(String contextSource) {
        String workdir = "/";
        Optional<String> found = Optional.empty();
        for (String i : instructions) {
            String keyword = i.split("\\s+")[0].toUpperCase();
            String rest = i.substring(keyword.length()).strip();
            if (keyword.equals("FROM")) {
                workdir = "/";
                found = Optional.empty();
            } else if (keyword.equals("WORKDIR")) {
                workdir = rest.startsWith("/") ? rest : workdir + "/" + rest;
            } else if (keyword.equals("COPY") && !rest.contains("--from=")) {
                List<String> parts = List.of(rest.replaceAll("--\\S+", "").trim().split("\\s+"));
                if (parts.size() != 2 || !parts.getFirst().equals(contextSource)) continue;
                String dest = parts.get(1).startsWith("/") ? parts.get(1) : workdir + "/" + parts.get(1);
                if (dest.endsWith("/")) dest += Path.of(contextSource).getFileName();
                found = Optional.of(dest.replaceAll("/+", "/"));
            }
        }
        return found;
    }

    /** The ENTRYPOINT as a list (exec form). */
    List<String> entrypoint() {
        String e = last("ENTRYPOINT").orElseThrow(() -> new AssertionError(file + " has no ENTRYPOINT"));
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile("\"((?:\\\\.|[^\"\\\\])*)\"").matcher(e);
        while (m.find()) out.add(m.group(1));
        return out;
    }

    /**
     * The command the container really starts: the ENTRYPOINT, or when that is a script copied from the
     * context, the script's text (its exec line carries the JVM flags).
     */
    String launchText() {
        List<String> ep = entrypoint();
        String first = ep.isEmpty() ? "" : ep.getFirst();
        Optional<String> script = contextSourceOf(first);
        return script.map(s -> ServiceModule.read(Repo.root().resolve(s))).orElse(String.join(" ", ep));
    }
}
