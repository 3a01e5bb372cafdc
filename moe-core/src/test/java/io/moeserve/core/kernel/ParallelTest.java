package io.moeserve.core.kernel;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

/** The kernels' loop splitter: every index exactly once, failures surface, nesting and concurrent callers work. */
@Timeout(30)
class ParallelTest {

    @Test
    void forRange_visitsEveryIndexExactlyOnce() {
        for (int n : new int[]{0, 1, 2, 7, 64, 1000, 4097}) {
            for (int grain : new int[]{1, 2, 3, 64, 5000}) {
                AtomicIntegerArray hits = new AtomicIntegerArray(Math.max(1, n));
                Parallel.forRange(n, grain, (from, to) -> {
                    assertThat(to - from).isLessThanOrEqualTo(grain);
                    for (int i = from; i < to; i++) hits.incrementAndGet(i);
                });
                for (int i = 0; i < n; i++) assertThat(hits.get(i)).as("n=%d grain=%d index %d", n, grain, i).isEqualTo(1);
            }
        }
    }

    @Test
    void forRange_usesMoreThanOneThreadWhenCoresAreAvailable() {
        assumeThat(Parallel.threads()).isGreaterThan(1);
        Set<String> threads = ConcurrentHashMap.newKeySet();
        // On a busy machine a worker may miss some regions; over many regions it takes part.
        for (int round = 0; round < 500 && threads.size() < 2; round++) {
            Parallel.forRange(64, 1, (from, to) -> {
                threads.add(Thread.currentThread().getName());
                long end = System.nanoTime() + 20_000;
                while (System.nanoTime() < end) Thread.onSpinWait();
            });
        }
        assertThat(threads).hasSizeGreaterThan(1);
    }

    @Test
    void failureInAChunk_isRethrownToTheCallerAndTheSplitterStaysUsable() {
        assertThatThrownBy(() -> Parallel.forRange(100, 1, (from, to) -> {
            if (from == 57) throw new IllegalStateException("chunk 57 failed");
        })).isInstanceOf(IllegalStateException.class).hasMessage("chunk 57 failed");
        AtomicIntegerArray hits = new AtomicIntegerArray(100);
        Parallel.forRange(100, 1, (from, to) -> hits.incrementAndGet(from));
        for (int i = 0; i < 100; i++) assertThat(hits.get(i)).isEqualTo(1);
    }

    @Test
    void nestedForRange_runsInlineWithoutDeadlock() {
        AtomicIntegerArray hits = new AtomicIntegerArray(16 * 16);
        Parallel.forRange(16, 1, (a, b) -> Parallel.forRange(16, 1, (c, d) -> {
            for (int i = c; i < d; i++) hits.incrementAndGet(a * 16 + i);
        }));
        for (int i = 0; i < 256; i++) assertThat(hits.get(i)).isEqualTo(1);
    }

    @Test
    void concurrentCallers_eachGetTheirWholeRangeDone() throws Exception {
        AtomicIntegerArray[] hits = {new AtomicIntegerArray(5000), new AtomicIntegerArray(5000)};
        Thread[] callers = new Thread[2];
        for (int c = 0; c < 2; c++) {
            AtomicIntegerArray h = hits[c];
            callers[c] = new Thread(() -> {
                for (int round = 0; round < 50; round++) {
                    int base = round * 100;
                    Parallel.forRange(100, 3, (from, to) -> {
                        for (int i = from; i < to; i++) h.incrementAndGet(base + i);
                    });
                }
            });
            callers[c].start();
        }
        for (Thread t : callers) t.join();
        for (AtomicIntegerArray h : hits) for (int i = 0; i < 5000; i++) assertThat(h.get(i)).isEqualTo(1);
    }
}
