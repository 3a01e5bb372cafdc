package io.moeserve.ops.planner.solve;

import io.moeserve.core.placement.ExpertPlacement;
import io.moeserve.core.placement.InstanceSpec;
import io.moeserve.core.placement.PlacementPlan;
import io.moeserve.core.placement.Replica;

import java.util.ArrayList;
import java.util.List;

/** Conversions between per-layer working assignments and the shared {@link PlacementPlan}. */
public final class Plans {

    private Plans() {
    }

    /** The plan of per-layer assignments; replicas that take no token are dropped if the expert has others. */
    static PlacementPlan assemble(PlanningProblem p, LayerAssignment[] layers) {
        List<InstanceSpec> inst = p.instances();
        List<ExpertPlacement> out = new ArrayList<>(p.layers() * p.experts());
        for (int l = 0; l < layers.length; l++) {
            LayerAssignment a = layers[l];
            for (int e = 0; e < p.experts(); e++) {
                out.add(new ExpertPlacement(l, e, replicas(inst, a.hosts[e], a.tokens[e])));
            }
        }
        return new PlacementPlan(p.version(), p.modelId(), p.layers(), p.experts(), inst, out).validate();
    }

    private static List<Replica> replicas(List<InstanceSpec> inst, int[] hosts, long[] tokens) {
        long total = 0;
        int useful = 0;
        for (long t : tokens) {
            total += t;
            if (t > 0) useful++;
        }
        List<Replica> rs = new ArrayList<>(hosts.length);
        if (total == 0) { // an expert nobody used: equal shares
            for (int h : hosts) rs.add(new Replica(inst.get(h).id(), 1.0 / hosts.length));
            return rs;
        }
        double assigned = 0;
        int seen = 0;
        for (int r = 0; r < hosts.length; r++) {
            if (tokens[r] == 0 && useful > 0) continue;
            seen++;
            double share = seen == useful ? 1.0 - assigned : (double) tokens[r] / total; // exact sum of 1
            assigned += share;
            rs.add(new Replica(inst.get(hosts[r]).id(), share));
        }
        return rs;
    }
}
