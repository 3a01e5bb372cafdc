package io.moeserve.ops.planner.solve;

import java.util.Arrays;

/**
 * A re-plan's warm start with few new copies: the previous plan's hosts, made to fit the balance
 * cap by adding new copies one at a time where the max flow of {@link StayFlow}'s network (experts
 * to their hosts to the sink, each instance up to its capped load) grows most. On a full instance
 * a new copy displaces a replica of an expert that keeps another copy. Tokens are the final flow.
 * Unlike {@link LayerLocalSearch}'s repair, which relieves the busiest instance first, it sees the
 * whole layer: a new copy goes where its tokens can be routed, so DeepSeek re-plans need fewer moves.
 */
final class FlowRepair {

    /** Source-side experts tried per step, heaviest first. */
    static final int EXPERTS_PER_STEP = 6;

    private FlowRepair() {
    }

    /** The repaired assignment, or {@code null} if it gets stuck, needs more than {@code maxMoves} or runs out of time. */
    static LayerAssignment repair(LayerProblem lp, LayerAssignment start, long tCap, int maxMoves, long deadlineNanos) {
        if (lp.prevHost == null || tCap >= Long.MAX_VALUE / 8) return null;
        int E = lp.experts;
        int n = lp.instances;
        boolean[][] host = new boolean[E][n];
        int[] copies = new int[E];
        int[] used = new int[n];
        int placed = 0;
        for (int e = 0; e < E; e++) {
            for (int i : start.hosts[e]) {
                host[e][i] = true;
                copies[e]++;
                used[i]++;
                placed++;
            }
        }
        long total = lp.totalLoad();
        boolean[] side = new boolean[E + n + 2];
        long flow = flow(lp, host, tCap, null, side);
        Integer[] order = new Integer[E];
        for (int e = 0; e < E; e++) order[e] = e;
        Arrays.sort(order, (a, b) -> Long.compare(lp.load[b], lp.load[a]));
        int moves = 0;
        while (flow < total) {
            if (moves >= maxMoves || System.nanoTime() > deadlineNanos) return null;
            long best = flow;
            int be = -1;
            int bj = -1;
            int bg = -1;
            int tried = 0;
            for (int e : order) {
                if (!side[e] || lp.load[e] == 0) continue; // only experts whose tokens are stuck
                if (tried++ >= EXPERTS_PER_STEP || System.nanoTime() > deadlineNanos) break;
                for (int j = 0; j < n; j++) {
                    if (host[e][j] || side[E + j]) continue; // only instances with room in the flow
                    if (used[j] < lp.cap[j] && placed < lp.physical) { // a free slot, and copies to spare
                        host[e][j] = true;
                        long v = flow(lp, host, tCap, null, null);
                        host[e][j] = false;
                        if (v > best) {
                            best = v;
                            be = e;
                            bj = j;
                            bg = -1;
                        }
                    }
                    for (int g = 0; g < E; g++) {
                        if (g == e || !host[g][j] || copies[g] < 2) continue;
                        host[g][j] = false;
                        host[e][j] = true;
                        long v = flow(lp, host, tCap, null, null);
                        host[e][j] = false;
                        host[g][j] = true;
                        if (v > best) {
                            best = v;
                            be = e;
                            bj = j;
                            bg = g;
                        }
                    }
                }
            }
            if (be < 0) return null; // no single new copy routes more tokens
            host[be][bj] = true;
            copies[be]++;
            if (bg >= 0) {
                host[bg][bj] = false;
                copies[bg]--;
            } else {
                used[bj]++;
                placed++;
            }
            if (!lp.prevHost[be][bj]) moves++;
            flow = flow(lp, host, tCap, null, side);
        }
        long[][] tok = new long[E][n];
        flow(lp, host, tCap, tok, null);
        LayerAssignment a = new LayerAssignment(E);
        for (int e = 0; e < E; e++) {
            for (int i = 0; i < n; i++) if (host[e][i]) a.add(e, i, tok[e][i]);
        }
        return a;
    }

    /** Max flow of the hosts' network; fills the tokens per copy and the residual source side if asked. */
    private static long flow(LayerProblem lp, boolean[][] host, long tCap, long[][] tokens, boolean[] sourceSide) {
        int E = lp.experts;
        int n = lp.instances;
        int s = E + n;
        int t = s + 1;
        StayFlow.Graph g = new StayFlow.Graph(E + n + 2);
        int[][] arcOf = new int[E][n];
        for (int e = 0; e < E; e++) {
            if (lp.load[e] == 0) continue;
            g.arc(s, e, lp.load[e]);
            for (int i = 0; i < n; i++) if (host[e][i]) arcOf[e][i] = g.arc(e, E + i, lp.load[e]);
        }
        for (int i = 0; i < n; i++) g.arc(E + i, t, tCap * lp.speedMilli[i] / 1000);
        long f = g.maxFlow(s, t);
        if (tokens != null) {
            for (int e = 0; e < E; e++) {
                for (int i = 0; i < n; i++) if (host[e][i] && lp.load[e] > 0) tokens[e][i] = g.cap[arcOf[e][i] ^ 1];
            }
        }
        if (sourceSide != null) System.arraycopy(g.reachable(s), 0, sourceSide, 0, sourceSide.length);
        return f;
    }
}
