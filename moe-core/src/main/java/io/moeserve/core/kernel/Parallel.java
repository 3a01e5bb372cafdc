package io.moeserve.core.kernel;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Splits a loop over the cores with a hand-off of about a microsecond. A kernel of a small model
 * takes 5-50 µs, so a fork-join pool's wake-up (tens of µs) would cost more than it saves: the
 * workers spin briefly after each region, then park, so an idle engine costs no CPU.
 * Work is dealt in chunks from a shared counter rather than in fixed halves: on a busy machine a
 * worker thread may be descheduled, and then the caller simply takes the remaining chunks instead of
 * waiting a whole scheduler time slice for it. One region runs at a time; a caller that finds the
 * workers busy runs its loop inline.
 */
public final class Parallel {
    /** A loop body over [from, to). */
    @FunctionalInterface
    public interface RangeTask {
        void run(int from, int to);
    }

    private static final int THREADS = Integer.getInteger("moeserve.threads", Runtime.getRuntime().availableProcessors());
    private static final long SPIN_NANOS = Long.getLong("moeserve.spinMicros", 200) * 1000;
    private static final ReentrantLock LOCK = new ReentrantLock();
    private static volatile Region current;
    private static final Thread[] WORKERS = startWorkers();

    private Parallel() {
    }

    public static int threads() {
        return THREADS;
    }

    /** Runs task over [0, n) in chunks of `grain` items, spread over up to {@link #threads()} threads. */
    public static void forRange(int n, int grain, RangeTask task) {
        grain = Math.max(1, grain);
        int chunks = (n + grain - 1) / grain;
        if (chunks <= 1 || WORKERS.length == 0 || !LOCK.tryLock()) {
            task.run(0, n);
            return;
        }
        try {
            Region r = new Region(task, n, grain, chunks);
            current = r;
            for (Thread w : WORKERS) LockSupport.unpark(w);
            r.work();
            while (r.done.get() != chunks) Thread.onSpinWait();
            current = null;
            if (r.failure instanceof RuntimeException re) throw re;
            if (r.failure instanceof Error er) throw er;
        } finally {
            LOCK.unlock();
        }
    }

    private static final class Region {
        final RangeTask task;
        final int n, grain, chunks;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger done = new AtomicInteger();
        volatile Throwable failure;

        Region(RangeTask task, int n, int grain, int chunks) {
            this.task = task;
            this.n = n;
            this.grain = grain;
            this.chunks = chunks;
        }

        void work() {
            int c;
            while ((c = next.getAndIncrement()) < chunks) {
                try {
                    task.run(c * grain, Math.min(n, (c + 1) * grain));
                } catch (Throwable t) {
                    failure = t;
                } finally {
                    done.incrementAndGet();
                }
            }
        }
    }

    private static Thread[] startWorkers() {
        Thread[] w = new Thread[Math.max(0, THREADS - 1)];
        for (int i = 0; i < w.length; i++) {
            w[i] = new Thread(Parallel::workerLoop, "moe-kernel-" + (i + 1));
            w[i].setDaemon(true);
            w[i].start();
        }
        return w;
    }

    private static void workerLoop() {
        Region last = null;
        while (true) {
            long idleSince = System.nanoTime();
            Region r;
            int spins = 0;
            while ((r = current) == null || r == last) {
                if (++spins % 128 == 0 && System.nanoTime() - idleSince > SPIN_NANOS) LockSupport.park();
                else Thread.onSpinWait();
            }
            last = r;
            r.work();
        }
    }
}
