package io.moeserve.ops.planner.solve;

import com.google.ortools.linearsolver.MPConstraint;
import com.google.ortools.linearsolver.MPSolver;
import com.google.ortools.linearsolver.MPVariable;

import java.util.ArrayList;
import java.util.List;

/**
 * A minimisation LP with bounded variables, solved by GLOP, whose answer is a <em>proven</em> lower
 * bound rather than GLOP's floating-point optimum: from any row multipliers {@code y} (GLOP's duals,
 * sign-corrected), weak duality gives
 * <pre>
 *   min c.x  >=  sum_r y_r * (lo_r if y_r > 0, hi_r if y_r < 0)  +  sum_j min(d_j l_j, d_j u_j),
 *   d = c - y A,
 * </pre>
 * for every {@code x} within its bounds and the rows, whatever {@code y} is (a multiplier whose
 * side is infinite is dropped). It is evaluated here from the model's own coefficients, so solver
 * tolerances can weaken the bound but never make it invalid.
 */
final class SparseLp {

    private final List<double[]> varBounds = new ArrayList<>();
    private final List<Double> cost = new ArrayList<>();
    private final List<int[]> rowIdx = new ArrayList<>();
    private final List<double[]> rowCoef = new ArrayList<>();
    private final List<double[]> rowSide = new ArrayList<>();
    private double constant;
    /** GLOP's primal values of the last solve (for separating cuts), or null. */
    double[] solution;

    int var(double lo, double hi, double c) {
        varBounds.add(new double[] {lo, hi});
        cost.add(c);
        return varBounds.size() - 1;
    }

    void addConstant(double c) {
        constant += c;
    }

    /** Adds {@code lo <= sum coef[k] x[idx[k]] <= hi} (use infinities for one-sided rows). */
    void row(int[] idx, double[] coef, double lo, double hi) {
        rowIdx.add(idx);
        rowCoef.add(coef);
        rowSide.add(new double[] {lo, hi});
    }

    /** A proven lower bound on the LP's minimum, or {@code -inf} if GLOP gives up. */
    double lowerBound(long timeLimitMillis) {
        MPSolver s = MPSolver.createSolver("GLOP");
        if (s == null) return Double.NEGATIVE_INFINITY;
        s.setTimeLimit(Math.max(1, timeLimitMillis));
        int n = varBounds.size();
        MPVariable[] x = new MPVariable[n];
        for (int j = 0; j < n; j++) x[j] = s.makeNumVar(varBounds.get(j)[0], varBounds.get(j)[1], "x" + j);
        MPConstraint[] c = new MPConstraint[rowIdx.size()];
        for (int r = 0; r < c.length; r++) {
            c[r] = s.makeConstraint(rowSide.get(r)[0], rowSide.get(r)[1]);
            int[] idx = rowIdx.get(r);
            double[] coef = rowCoef.get(r);
            for (int k = 0; k < idx.length; k++) c[r].setCoefficient(x[idx[k]], coef[k]);
        }
        for (int j = 0; j < n; j++) s.objective().setCoefficient(x[j], cost.get(j));
        s.objective().setMinimization();
        MPSolver.ResultStatus status = s.solve();
        if (status != MPSolver.ResultStatus.OPTIMAL && status != MPSolver.ResultStatus.FEASIBLE) {
            s.delete();
            return Double.NEGATIVE_INFINITY;
        }
        solution = new double[n];
        for (int j = 0; j < n; j++) solution[j] = x[j].solutionValue();
        double[] y = new double[c.length];
        for (int r = 0; r < c.length; r++) y[r] = c[r].dualValue();
        s.delete();
        return dualBound(y);
    }

    /** Weak-duality bound of multipliers {@code y}; valid for any y. */
    double dualBound(double[] y) {
        int n = varBounds.size();
        double[] d = new double[n];
        for (int j = 0; j < n; j++) d[j] = cost.get(j);
        double bound = constant;
        for (int r = 0; r < y.length; r++) {
            double side = y[r] > 0 ? rowSide.get(r)[0] : y[r] < 0 ? rowSide.get(r)[1] : 0;
            if (y[r] == 0 || Double.isInfinite(side)) continue; // that side does not exist: drop it
            bound += y[r] * side;
            int[] idx = rowIdx.get(r);
            double[] coef = rowCoef.get(r);
            for (int k = 0; k < idx.length; k++) d[idx[k]] -= y[r] * coef[k];
        }
        for (int j = 0; j < n; j++) {
            double[] b = varBounds.get(j);
            bound += Math.min(d[j] * b[0], d[j] * b[1]);
        }
        return bound;
    }
}
