package io.moeserve.ops.planner.solve;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * How many tokens the previous plan's hosts cannot carry under the balance cap, however the
 * replicas' shares are re-split: {@code D = total load - max flow} in the network source → expert
 * {@code e} (capacity {@code w_e}) → each instance that held {@code e} before → sink (the most
 * tokens instance {@code i} may carry under the cap). A plan that adds no copy anywhere is such a
 * flow, so {@code D > 0} forces new copies.
 *
 * <p><b>Why fresh copies must carry D.</b> Take a minimum cut of the network. A new copy of
 * {@code e} adds an arc from {@code e}; moving {@code e} to the sink side of the cut makes every
 * arc of {@code e} uncounted and adds only {@code s → e}, so the cut, hence the max flow, grows by
 * at most {@code w_e} per expert that gets new copies (dropping copies only removes arcs). A plan
 * within the cap routes all tokens, so the experts with new copies have loads summing to at least
 * {@code D}: {@code sum_e min(w_e, D) * fresh_e >= D}, and at least as many fresh copies as the
 * fewest experts whose loads reach {@code D}.
 */
final class StayFlow {

    private StayFlow() {
    }

    /** The deficit {@code D}. */
    static long deficit(LayerProblem lp, long tCap) {
        return analyse(lp, tCap)[0];
    }

    /**
     * {@code {D, k}}: the deficit and the fewest instances that must receive new copies. After the
     * max flow, let {@code rho_j} be the most flow instance {@code j} can still pass to the sink in
     * the residual network (its spare, plus what re-splitting replicas can move on). New arcs all
     * end at instances receiving new copies ("heads"); the union of the residual source side and a
     * minimum {@code j}-sink cut for every head is a cut of the augmented network that no new arc
     * leaves, so the flow grows by at most {@code sum over heads of rho_j}: the heads' rho must
     * reach {@code D}, and each head gets at least one new copy.
     */
    static long[] analyse(LayerProblem lp, long tCap) {
        if (lp.prevHost == null || tCap >= Long.MAX_VALUE / 8) return new long[] {0, 0};
        int E = lp.experts;
        int n = lp.instances;
        int t = E + n + 1;
        Graph g = stayGraph(lp, tCap);
        long d = Math.max(0, totalLoad(lp) - g.maxFlow(E + n, t));
        if (d == 0) return new long[] {0, 0};
        long[] rho = new long[n];
        long[] residual = g.cap.clone();
        for (int i = 0; i < n; i++) {
            rho[i] = g.maxFlow(E + i, t);
            System.arraycopy(residual, 0, g.cap, 0, residual.length);
        }
        Arrays.sort(rho);
        long covered = 0;
        long heads = 0;
        for (int i = n - 1; i >= 0 && covered < d; i--) {
            covered += rho[i];
            heads++;
        }
        if (covered < d) heads = n; // cannot be covered at all: every instance would have to help
        return new long[] {d, heads};
    }

    /**
     * Source -> expert (its load) -> each previous host (same) -> sink (the host's cap): the most
     * tokens that can stay where they were. Nodes: experts 0..E-1, instances E..E+n-1, source E+n,
     * sink E+n+1.
     */
    private static Graph stayGraph(LayerProblem lp, long tCap) {
        int E = lp.experts;
        int n = lp.instances;
        int s = E + n;
        Graph g = new Graph(E + n + 2);
        for (int e = 0; e < E; e++) {
            if (lp.load[e] == 0) continue;
            g.arc(s, e, lp.load[e]);
            for (int i = 0; i < n; i++) if (lp.prevHost[e][i]) g.arc(e, E + i, lp.load[e]);
        }
        for (int i = 0; i < n; i++) g.arc(E + i, s + 1, tCap * lp.speedMilli[i] / 1000);
        return g;
    }

    private static long totalLoad(LayerProblem lp) {
        long total = 0;
        for (long l : lp.load) total += l;
        return total;
    }

    /**
     * One block G of instances ({@code instances}): {@code experts} = X(G), the experts with a load whose previous hosts
     * all lie in G; {@code deficit} = D(G); {@code copies} = the fewest of them whose loads reach it.
     */
    record Block(int[] instances, int[] experts, long deficit, long copies) {
    }

    /**
     * Disjoint blocks that force new copies. Let {@code G} be a set of instances: without a copy
     * outside G, X(G)'s tokens stay on G, so a plan within the cap gives copies outside G (new
     * hosts, as all previous ones are in G) to experts of X(G) whose loads reach
     * {@code D(G) = load(X(G)) - cap(G)}. For disjoint blocks the X(G) are disjoint, so their counts
     * add. Two families are tried, both valid: the connected components (through shared experts) of
     * the minimum cut's source side, whose deficits sum to D; and single instances greedily merged
     * along shared experts ({@link #merged}). Returns all (each family's blocks are
     * disjoint; blocks of different families may overlap).
     */
    static List<List<Block>> families(LayerProblem lp, long tCap) {
        if (lp.prevHost == null || tCap >= Long.MAX_VALUE / 8) return List.of();
        int E = lp.experts;
        int n = lp.instances;
        int s = E + n;
        Graph g = stayGraph(lp, tCap);
        if (totalLoad(lp) - g.maxFlow(s, s + 1) <= 0) return List.of();
        boolean[] side = g.reachable(s);
        int[] comp = new int[n];
        for (int i = 0; i < n; i++) comp[i] = side[E + i] ? i : -1;
        for (int e = 0; e < E; e++) {
            if (!side[e] || lp.load[e] == 0) continue;
            int first = -1;
            for (int i = 0; i < n; i++) {
                if (!lp.prevHost[e][i]) continue;
                if (first < 0) first = i;
                else comp[find(comp, i)] = find(comp, first);
            }
        }
        List<Block> components = family(lp, tCap, comp);
        return List.of(components, merged(lp, tCap));
    }

    /**
     * Single instances merged along shared experts, one expert's hosts at a time, while that forces
     * more copies (also letting merges that keep the count but raise the summed deficit through
     * gave the same bound on DeepSeek-V3 re-plans).
     */
    private static List<Block> merged(LayerProblem lp, long tCap) {
        int n = lp.instances;
        int[] merged = new int[n];
        for (int i = 0; i < n; i++) merged[i] = i;
        while (true) {
            int bestE = -1;
            long bestGain = 0;
            long now = count(family(lp, tCap, merged));
            for (int e = 0; e < lp.experts; e++) {
                if (lp.load[e] == 0) continue;
                int[] trial = merged.clone();
                if (!join(lp, trial, e)) continue;
                List<Block> f = family(lp, tCap, trial);
                long gain = count(f) - now;
                if (gain > bestGain) {
                    bestGain = gain;
                    bestE = e;
                }
            }
            if (bestE < 0) break;
            join(lp, merged, bestE);
        }
        return family(lp, tCap, merged);
    }

    /** Unites the blocks of e's previous hosts; false if they were already one. */
    private static boolean join(LayerProblem lp, int[] parent, int e) {
        int first = -1;
        boolean joined = false;
        for (int i = 0; i < lp.instances; i++) {
            if (!lp.prevHost[e][i]) continue;
            if (first < 0) first = i;
            else if (find(parent, i) != find(parent, first)) {
                parent[find(parent, i)] = find(parent, first);
                joined = true;
            }
        }
        return joined;
    }

    static long count(List<Block> family) {
        long c = 0;
        for (Block b : family) c += b.copies();
        return c;
    }

    /** The blocks of a union-find labelling ({@code -1}: in no block) that force copies. */
    private static List<Block> family(LayerProblem lp, long tCap, int[] parent) {
        int n = lp.instances;
        long[] deficit = new long[n];
        List<List<Integer>> members = new ArrayList<>();
        for (int i = 0; i < n; i++) members.add(new ArrayList<>());
        for (int i = 0; i < n; i++) if (parent[i] >= 0) deficit[find(parent, i)] -= tCap * lp.speedMilli[i] / 1000;
        for (int e = 0; e < lp.experts; e++) {
            if (lp.load[e] == 0) continue;
            int root = -2;
            for (int i = 0; i < n && root != -1; i++) {
                if (!lp.prevHost[e][i]) continue;
                int r = parent[i] < 0 ? -1 : find(parent, i);
                root = root == -2 || root == r ? r : -1;
            }
            if (root < 0) continue; // no host, or hosts outside one block
            deficit[root] += lp.load[e];
            members.get(root).add(e);
        }
        List<Block> out = new ArrayList<>();
        for (int root = 0; root < n; root++) {
            if (deficit[root] <= 0) continue;
            int r = root;
            List<Integer> xs = members.get(root);
            xs.sort((a, b) -> Long.compare(lp.load[b], lp.load[a]));
            long left = deficit[root];
            long copies = 0;
            for (int e : xs) {
                if (left <= 0) break;
                left -= lp.load[e];
                copies++;
            }
            int[] g = java.util.stream.IntStream.range(0, n).filter(i -> parent[i] >= 0 && find(parent, i) == r).toArray();
            out.add(new Block(g, xs.stream().mapToInt(Integer::intValue).toArray(), deficit[root], copies));
        }
        return out;
    }

    private static int find(int[] parent, int i) {
        while (parent[i] != i) i = parent[i] = parent[parent[i]];
        return i;
    }

    /** The fewest experts whose loads add up to {@code deficit} (largest first). */
    static long copiesToCover(LayerProblem lp, long deficit) {
        long[] w = lp.load.clone();
        Arrays.sort(w);
        long covered = 0;
        long k = 0;
        for (int j = w.length - 1; j >= 0 && covered < deficit; j--) {
            covered += w[j];
            k++;
        }
        return k;
    }

    /** Dinic's max flow on a small graph (also {@link FlowRepair}'s). */
    static final class Graph {
        final int n;
        int[] head;
        int[] next;
        int[] to;
        long[] cap;
        int arcs;

        Graph(int n) {
            this.n = n;
            head = new int[n];
            Arrays.fill(head, -1);
            int room = Math.max(16, 8 * n); // the layer networks' arcs, without regrowing
            next = new int[room];
            to = new int[room];
            cap = new long[room];
        }

        /** Adds an arc and its reverse; returns the arc's index (its flow is {@code cap[index ^ 1]}). */
        int arc(int u, int v, long c) {
            add(u, v, c);
            add(v, u, 0);
            return arcs - 2;
        }

        /** Nodes reachable from {@code s} in the residual network. */
        boolean[] reachable(int s) {
            boolean[] r = new boolean[n];
            ArrayDeque<Integer> queue = new ArrayDeque<>();
            queue.add(s);
            r[s] = true;
            while (!queue.isEmpty()) {
                int u = queue.poll();
                for (int a = head[u]; a >= 0; a = next[a]) {
                    if (cap[a] > 0 && !r[to[a]]) {
                        r[to[a]] = true;
                        queue.add(to[a]);
                    }
                }
            }
            return r;
        }

        private void add(int u, int v, long c) {
            if (arcs == to.length) {
                next = Arrays.copyOf(next, 2 * arcs);
                to = Arrays.copyOf(to, 2 * arcs);
                cap = Arrays.copyOf(cap, 2 * arcs);
            }
            to[arcs] = v;
            cap[arcs] = c;
            next[arcs] = head[u];
            head[u] = arcs++;
        }

        long maxFlow(int s, int t) {
            long flow = 0;
            int[] level = new int[n];
            int[] it = new int[n];
            int[] queue = new int[n];
            while (true) {
                Arrays.fill(level, -1);
                level[s] = 0;
                int qh = 0;
                int qt = 0;
                queue[qt++] = s;
                while (qh < qt) {
                    int u = queue[qh++];
                    for (int a = head[u]; a >= 0; a = next[a]) {
                        if (cap[a] > 0 && level[to[a]] < 0) {
                            level[to[a]] = level[u] + 1;
                            queue[qt++] = to[a];
                        }
                    }
                }
                if (level[t] < 0) return flow;
                System.arraycopy(head, 0, it, 0, n);
                for (long f; (f = push(s, t, Long.MAX_VALUE, level, it)) > 0; ) flow += f;
            }
        }

        private long push(int u, int t, long limit, int[] level, int[] it) {
            if (u == t) return limit;
            for (; it[u] >= 0; it[u] = next[it[u]]) {
                int a = it[u];
                int v = to[a];
                if (cap[a] <= 0 || level[v] != level[u] + 1) continue;
                long f = push(v, t, Math.min(limit, cap[a]), level, it);
                if (f > 0) {
                    cap[a] -= f;
                    cap[a ^ 1] += f;
                    return f;
                }
            }
            return 0;
        }
    }
}
