package io.moeserve.core.placement;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The one place that decides which replica serves each selected expert of a token at a layer. The
 * router calls it per token and the planner replays traces through it, so the planner's "messages
 * per token" and per-instance loads are exactly what the router will produce.
 *
 * <p>Rule, per token: experts with one replica go where they must. Each replicated expert then runs
 * one step of smooth weighted round-robin (SWRR, as in nginx) over its replicas, but among the
 * replicas that are <em>eligible</em> it prefers (1) an instance the token already uses, then
 * (2) an instance that also holds more of the token's still-unplaced experts, then (3) the SWRR
 * choice. A replica is eligible while its SWRR credit is at least {@code -slack}, i.e. while it is
 * not more than {@code slack} picks ahead of its share; since the credits of an expert always sum to
 * zero they stay bounded, so every replica's long-run share of tokens equals its planned share to
 * within a few tokens however often co-location bends a choice. Deterministic given the plan and the
 * sequence of calls. A replica with share 0 (e.g. one being drained) is never chosen. Thread-safe (one lock; the work per call is tiny).
 */
public final class ReplicaSelector {

    /** How many picks ahead of its share a replica may get for the sake of co-location. */
    public static final double DEFAULT_SLACK = 1.0;

    private final PlacementPlan plan;
    private final int experts;
    private final double slack;
    private final String[] instanceIds;
    private final int[][] replicaInstance; // [layer * experts + expert] -> instance indices
    private final double[][] share;
    private final double[] shareTotal;
    private final double[][] credit; // SWRR state per replica
    private int[] chosen = new int[16];
    private boolean[] placed = new boolean[16];

    public ReplicaSelector(PlacementPlan plan) {
        this(plan, DEFAULT_SLACK);
    }

    public ReplicaSelector(PlacementPlan plan, double slack) {
        plan.validate();
        this.plan = plan;
        this.experts = plan.numExperts();
        this.slack = slack;
        List<InstanceSpec> instances = plan.instances();
        instanceIds = new String[instances.size()];
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < instanceIds.length; i++) {
            instanceIds[i] = instances.get(i).id();
            index.put(instanceIds[i], i);
        }
        int n = plan.numLayers() * experts;
        replicaInstance = new int[n][];
        share = new double[n][];
        shareTotal = new double[n];
        credit = new double[n][];
        for (ExpertPlacement p : plan.placements()) {
            int k = p.layer() * experts + p.expert();
            List<Replica> rs = p.replicas();
            replicaInstance[k] = new int[rs.size()];
            share[k] = new double[rs.size()];
            credit[k] = new double[rs.size()];
            for (int r = 0; r < rs.size(); r++) {
                replicaInstance[k][r] = index.get(rs.get(r).instance());
                share[k][r] = rs.get(r).share();
                shareTotal[k] += rs.get(r).share();
            }
            if (shareTotal[k] <= 0) { // all shares zero: treat as equal shares
                java.util.Arrays.fill(share[k], 1.0);
                shareTotal[k] = rs.size();
            }
        }
    }

    public PlacementPlan plan() {
        return plan;
    }

    /** Instance id of an index returned by {@link #select}; indices follow {@code plan.instances()}. */
    public String instanceId(int index) {
        return instanceIds[index];
    }

    public int numInstances() {
        return instanceIds.length;
    }

    /** Convenience form of {@link #select(int, int[], int, int[])} that allocates its answer. */
    public int[] select(int layer, int[] selectedExperts) {
        int[] out = new int[selectedExperts.length];
        select(layer, selectedExperts, selectedExperts.length, out);
        return out;
    }

    /**
     * Chooses the instance for each of the first {@code count} selected experts of one token at
     * {@code layer}; {@code out[j]} receives the instance index serving {@code selectedExperts[j]}.
     *
     * @return the number of distinct instances the token is sent to at this layer (its messages)
     */
    public synchronized int select(int layer, int[] selectedExperts, int count, int[] out) {
        if (chosen.length < count) {
            chosen = new int[count];
            placed = new boolean[count];
        }
        int nChosen = 0;
        int base = layer * experts;
        for (int j = 0; j < count; j++) {
            int[] inst = replicaInstance[base + selectedExperts[j]];
            placed[j] = inst.length == 1;
            if (placed[j]) {
                out[j] = inst[0];
                nChosen = addChosen(inst[0], nChosen);
            }
        }
        for (int j = 0; j < count; j++) {
            if (placed[j]) continue;
            int k = base + selectedExperts[j];
            int[] inst = replicaInstance[k];
            double[] w = share[k];
            double[] c = credit[k];
            for (int r = 0; r < inst.length; r++) c[r] += w[r];
            int best = -1;
            boolean bestChosen = false;
            int bestCover = -1;
            for (int r = 0; r < inst.length; r++) {
                if (w[r] <= 0 || c[r] < -slack * shareTotal[k]) continue; // draining, or too far ahead of its share
                boolean isChosen = contains(chosen, nChosen, inst[r]);
                int cover = isChosen ? 0 : coverage(base, selectedExperts, count, j, inst[r]);
                boolean better = best < 0
                        || (isChosen != bestChosen ? isChosen
                        : cover != bestCover ? cover > bestCover
                        : c[r] > c[best]);
                if (better) {
                    best = r;
                    bestChosen = isChosen;
                    bestCover = cover;
                }
            }
            c[best] -= shareTotal[k];
            out[j] = inst[best];
            placed[j] = true;
            nChosen = addChosen(inst[best], nChosen);
        }
        return nChosen;
    }

    /** Forgets the round-robin state, e.g. when a fresh replay of a trace should start clean. */
    public synchronized void reset() {
        for (double[] c : credit) {
            if (c != null) java.util.Arrays.fill(c, 0);
        }
    }

    private int addChosen(int instance, int nChosen) {
        if (contains(chosen, nChosen, instance)) return nChosen;
        chosen[nChosen] = instance;
        return nChosen + 1;
    }

    /** How many other still-unplaced selected experts could also be served by {@code instance}. */
    private int coverage(int base, int[] selected, int count, int self, int instance) {
        int n = 0;
        for (int j = 0; j < count; j++) {
            if (j == self || placed[j]) continue;
            for (int i : replicaInstance[base + selected[j]]) {
                if (i == instance) {
                    n++;
                    break;
                }
            }
        }
        return n;
    }

    private static boolean contains(int[] a, int n, int v) {
        for (int i = 0; i < n; i++) {
            if (a[i] == v) return true;
        }
        return false;
    }
}
