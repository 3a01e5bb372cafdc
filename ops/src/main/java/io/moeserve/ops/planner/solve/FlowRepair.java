package io.moeserve.ops.planner.solve;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * A re-plan's warm start with few new copies: the previous plan's hosts, made to fit the balance
 * cap by adding new copies one at a time where the max flow of {@link StayFlow}'s network (experts
 * to their hosts to the sink, each instance up to its capped load) grows most (ties: the copy that
 * joins more co-activation). On a full instance a new copy displaces a replica of an expert that
 * keeps another copy; when no single new copy routes more tokens, a stuck expert is exchanged with a
 * lighter one on an instance with room. New copies the final flow does without are dropped again.
 * Tokens are the final flow.
 * Unlike {@link LayerLocalSearch}'s repair, which relieves the busiest instance first, it sees the
 * whole layer: a new copy goes where its tokens can be routed, so DeepSeek re-plans need fewer moves.
 */
final class FlowRepair {

    /** Source-side experts tried per step, heaviest first. */
    static final int EXPERTS_PER_STEP = 6;
    private static final boolean DEBUG = Boolean.getBoolean("moe.plan.debug");
    /** Source-side experts tried per exchange step (an exchange tries every copy of an instance). */
    static final int SWAP_EXPERTS_PER_STEP = 2;

    private FlowRepair() {
    }

    /** The repaired assignment, or {@code null} if it gets stuck, needs more than {@code maxMoves} or runs out of time. */
    static LayerAssignment repair(LayerProblem lp, LayerAssignment start, long tCap, int maxMoves, long deadlineNanos) {
        return repair(lp, start, tCap, maxMoves, deadlineNanos, null);
    }

    /**
     * With {@code rnd}, the experts tried per step are the heaviest by load times a random factor in
     * [0.6, 1.4]: another greedy path, for restarts that keep the cheapest.
     */
    static LayerAssignment repair(LayerProblem lp, LayerAssignment start, long tCap, int maxMoves, long deadlineNanos,
                                  SplittableRandom rnd) {
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
        double[] key = new double[E];
        for (int e = 0; e < E; e++) key[e] = lp.load[e] * (rnd == null ? 1.0 : 0.6 + 0.8 * rnd.nextDouble());
        Arrays.sort(order, (a, b) -> Double.compare(key[b], key[a]));
        int moves = 0;
        while (flow < total) {
            if (moves >= maxMoves || System.nanoTime() > deadlineNanos) {
                if (DEBUG) System.err.printf("flow repair layer %d: gave up after %d moves (%s), %d tokens unrouted%n", lp.layer,
                        moves, moves >= maxMoves ? "moves" : "time", total - flow);
                return null;
            }
            long best = flow;
            long bestTogether = 0; // among copies that route as many tokens, the one closest to its partners
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
                        long c = v < best ? 0 : together(lp, host, e, j, -1);
                        if (v > best || v == best && be >= 0 && c > bestTogether) {
                            best = v;
                            bestTogether = c;
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
                        long c = v < best ? 0 : together(lp, host, e, j, g);
                        if (v > best || v == best && be >= 0 && c > bestTogether) {
                            best = v;
                            bestTogether = c;
                            be = e;
                            bj = j;
                            bg = g;
                        }
                    }
                }
            }
            if (be < 0) { // no single new copy routes more tokens: try exchanging a stuck expert with a lighter one
                int[] swap = bestSwap(lp, host, side, order, tCap, flow, deadlineNanos);
                if (swap == null) {
                    if (DEBUG) System.err.printf("flow repair layer %d: stuck after %d moves, %d tokens unrouted%n", lp.layer, moves, total - flow);
                    return null;
                }
                int e = swap[0], i = swap[1], j = swap[2], f = swap[3];
                host[e][i] = false;
                host[e][j] = true;
                host[f][j] = false;
                host[f][i] = true;
                if (!lp.prevHost[e][j]) moves++;
                if (!lp.prevHost[f][i]) moves++;
                flow = flow(lp, host, tCap, null, side);
                continue;
            }
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
        prune(lp, host, copies, tCap, total, deadlineNanos);
        long[][] tok = new long[E][n];
        flow(lp, host, tCap, tok, null);
        LayerAssignment a = new LayerAssignment(E);
        for (int e = 0; e < E; e++) {
            for (int i = 0; i < n; i++) if (host[e][i]) a.add(e, i, tok[e][i]);
        }
        return a;
    }

    /** Co-activation weight a copy of e on j joins there, less what g's copy it displaces (if any) leaves. */
    private static long together(LayerProblem lp, boolean[][] host, int e, int j, int g) {
        long w = 0;
        for (int q : lp.pairsOf[e]) {
            int b = lp.pairA[q] == e ? lp.pairB[q] : lp.pairA[q];
            if (b != g && host[b][j]) w += lp.pairCoef[q];
        }
        if (g < 0) return w;
        for (int q : lp.pairsOf[g]) {
            int b = lp.pairA[q] == g ? lp.pairB[q] : lp.pairA[q];
            if (b != e && host[b][j]) w -= lp.pairCoef[q];
        }
        return w;
    }

    /**
     * Drops new copies the final flow does without: one added early may have been made redundant
     * by later ones. A dropped copy's slot goes back to an expert that held it before, if any was
     * displaced, which can only help the flow and saves nothing but costs nothing.
     */
    private static void prune(LayerProblem lp, boolean[][] host, int[] copies, long tCap, long total, long deadlineNanos) {
        int E = lp.experts;
        int n = lp.instances;
        for (int e = 0; e < E; e++) {
            for (int j = 0; j < n; j++) {
                if (!host[e][j] || lp.prevHost[e][j] || copies[e] < 2 || System.nanoTime() > deadlineNanos) continue;
                host[e][j] = false;
                int back = -1;
                for (int g = 0; g < E && back < 0; g++) if (lp.prevHost[g][j] && !host[g][j]) back = g;
                if (back >= 0) host[back][j] = true;
                if (flow(lp, host, tCap, null, null) == total) {
                    copies[e]--;
                    if (back >= 0) copies[back]++;
                } else {
                    if (back >= 0) host[back][j] = false;
                    host[e][j] = true;
                }
            }
        }
    }

    /**
     * The exchange of a stuck expert's copy (on i) with a lighter expert's copy on an instance j with
     * room in the flow that routes the most tokens, as {e, i, j, f}; null if none routes more.
     * Costs up to two new copies, so it is only tried when no single new copy helps.
     */
    private static int[] bestSwap(LayerProblem lp, boolean[][] host, boolean[] side, Integer[] order, long tCap,
                                  long flow, long deadlineNanos) {
        int E = lp.experts;
        int n = lp.instances;
        long best = flow;
        int[] out = null;
        int tried = 0;
        for (int e : order) {
            if (!side[e] || lp.load[e] == 0) continue;
            if (tried++ >= SWAP_EXPERTS_PER_STEP || System.nanoTime() > deadlineNanos) break;
            for (int i = 0; i < n; i++) {
                if (!host[e][i]) continue;
                for (int j = 0; j < n; j++) {
                    if (host[e][j] || side[E + j]) continue;
                    for (int f = 0; f < E; f++) {
                        if (!host[f][j] || host[f][i] || lp.load[f] >= lp.load[e]) continue;
                        host[e][i] = false;
                        host[e][j] = true;
                        host[f][j] = false;
                        host[f][i] = true;
                        long v = flow(lp, host, tCap, null, null);
                        host[f][i] = false;
                        host[f][j] = true;
                        host[e][j] = false;
                        host[e][i] = true;
                        if (v > best) {
                            best = v;
                            out = new int[] {e, i, j, f};
                        }
                    }
                }
            }
        }
        return out;
    }

    /** Max flow of the hosts' network; fills the tokens per copy and the residual source side if asked. */
    private static long flow(LayerProblem lp, boolean[][] host, long tCap, long[][] tokens, boolean[] sourceSide) {
        int E = lp.experts;
        int n = lp.instances;
        int s = E + n;
        int t = s + 1;
        StayFlow.Graph g = new StayFlow.Graph(E + n + 2);
        int[][] arcOf = tokens == null ? null : new int[E][n];
        for (int e = 0; e < E; e++) {
            if (lp.load[e] == 0) continue;
            g.arc(s, e, lp.load[e]);
            for (int i = 0; i < n; i++) {
                if (!host[e][i]) continue;
                int a = g.arc(e, E + i, lp.load[e]);
                if (arcOf != null) arcOf[e][i] = a;
            }
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
