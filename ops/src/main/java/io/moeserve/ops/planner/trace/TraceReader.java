package io.moeserve.ops.planner.trace;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Reads the routing-trace CSV of {@code shared/traces/}: header {@code seq,pos,l0,l1,...}, one row
 * per token, each {@code lN} the chosen experts joined by {@code +}. The file does not say how many
 * experts a layer has, so the caller does; every problem is reported with file, line and column.
 */
public final class TraceReader {

    private TraceReader() {
    }

    public static RoutingTrace read(Path file, int experts) {
        if (experts < 1) throw new IllegalArgumentException("--experts must be positive, got " + experts);
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return parse(in, file.toString(), experts);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("trace file " + file + " does not exist", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read trace " + file + ": " + e.getMessage(), e);
        }
    }

    static RoutingTrace parse(BufferedReader in, String source, int experts) throws IOException {
        String header = in.readLine();
        if (header == null || header.isBlank()) throw new IllegalArgumentException("trace " + source + " is empty");
        String[] cols = header.strip().split(",", -1);
        if (cols.length < 3 || !cols[0].equals("seq") || !cols[1].equals("pos")) {
            throw new IllegalArgumentException("trace " + source + " line 1: header must be seq,pos,l0,l1,..., got '"
                    + header.strip() + "'");
        }
        int layers = cols.length - 2;
        for (int l = 0; l < layers; l++) {
            if (!cols[l + 2].equals("l" + l)) {
                throw new IllegalArgumentException("trace " + source + " line 1: column " + (l + 3) + " must be l" + l
                        + ", got '" + cols[l + 2] + "'");
            }
        }
        int topK = -1;
        IntBuffer data = new IntBuffer();
        String line;
        int lineNo = 1;
        while ((line = in.readLine()) != null) {
            lineNo++;
            if (line.isBlank()) continue;
            String[] f = line.strip().split(",", -1);
            String at = "trace " + source + " line " + lineNo;
            if (f.length != layers + 2) {
                throw new IllegalArgumentException(at + ": expected " + (layers + 2) + " columns, got " + f.length);
            }
            integer(f[0], at + " column seq");
            integer(f[1], at + " column pos");
            for (int l = 0; l < layers; l++) {
                String[] picks = f[l + 2].split("\\+", -1);
                String where = at + " column l" + l;
                if (topK < 0) topK = picks.length;
                if (picks.length != topK) {
                    throw new IllegalArgumentException(where + ": " + picks.length + " experts where earlier rows have "
                            + topK);
                }
                int start = data.size();
                for (String p : picks) {
                    int e = integer(p, where);
                    if (e < 0 || e >= experts) {
                        throw new IllegalArgumentException(where + ": expert " + e + " is out of range for --experts "
                                + experts + " (valid 0.." + (experts - 1) + ")");
                    }
                    for (int i = start; i < data.size(); i++) {
                        if (data.get(i) == e) throw new IllegalArgumentException(where + ": expert " + e + " chosen twice");
                    }
                    data.add(e);
                }
            }
        }
        if (topK < 0) throw new IllegalArgumentException("trace " + source + " has a header but no rows");
        return new RoutingTrace(layers, experts, topK, data.toArray());
    }

    private static int integer(String s, String where) {
        try {
            return Integer.parseInt(s.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(where + ": '" + s + "' is not an integer");
        }
    }

    /** Growable int array; a trace of DeepSeek size would be 70 M boxed Integers otherwise. */
    private static final class IntBuffer {
        private int[] a = new int[1 << 12];
        private int n;

        void add(int v) {
            if (n == a.length) a = java.util.Arrays.copyOf(a, a.length * 2);
            a[n++] = v;
        }

        int get(int i) {
            return a[i];
        }

        int size() {
            return n;
        }

        int[] toArray() {
            return java.util.Arrays.copyOf(a, n);
        }
    }
}
