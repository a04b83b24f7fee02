package io.ktlshttps.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The event loop's deadlines against a plain sorted list: random schedules, moves and
 * cancels, with deadlines on both sides of a nanoTime wrap-around, must come out in
 * deadline order, each once, and leave no entry behind.
 */
class TimerHeapTest {
    private static TimerHeap.Timed connection() {
        return new TimerHeap.Timed() {
        };
    }

    @Test
    void deadlinesComeOutInOrderThroughMovesAndCancels() {
        Random random = new Random(42);
        for (int round = 0; round < 50; round++) {
            TimerHeap heap = new TimerHeap();
            List<TimerHeap.Timed> all = new ArrayList<>();
            List<TimerHeap.Timed> scheduled = new ArrayList<>();
            long base = Long.MAX_VALUE - 500_000 + random.nextInt(1_000_000); // deadlines may wrap around
            for (int i = 0; i < 600; i++) {
                int action = all.isEmpty() ? 0 : random.nextInt(4);
                if (action == 0) {
                    TimerHeap.Timed c = connection();
                    all.add(c);
                    heap.schedule(c, base + random.nextInt(1_000_000));
                    scheduled.add(c);
                } else if (action == 1) { // move one, scheduled or not
                    TimerHeap.Timed c = all.get(random.nextInt(all.size()));
                    heap.schedule(c, base + random.nextInt(1_000_000));
                    if (!scheduled.contains(c)) {
                        scheduled.add(c);
                    }
                } else if (action == 2) { // cancel one, scheduled or not
                    TimerHeap.Timed c = all.get(random.nextInt(all.size()));
                    heap.cancel(c);
                    scheduled.remove(c);
                    assertEquals(-1, c.timerIndex);
                } else if (!heap.isEmpty()) { // take the earliest, as the loop does
                    TimerHeap.Timed first = heap.first();
                    long earliest = scheduled.stream().mapToLong(c -> c.deadline - base).min().orElseThrow();
                    assertEquals(earliest, first.deadline - base, "the earliest deadline first");
                    heap.cancel(first);
                    scheduled.remove(first);
                }
                assertEquals(scheduled.size(), heap.size());
            }
            scheduled.sort(Comparator.comparingLong(c -> c.deadline - base));
            for (TimerHeap.Timed expected : scheduled) {
                TimerHeap.Timed first = heap.first();
                assertEquals(expected.deadline, first.deadline);
                heap.cancel(first);
            }
            assertNull(heap.first());
            assertEquals(0, heap.size());
        }
    }

    @Test
    void movingADeadlineKeepsOneEntry() {
        TimerHeap heap = new TimerHeap();
        TimerHeap.Timed a = connection();
        TimerHeap.Timed b = connection();
        heap.schedule(a, 100);
        heap.schedule(b, 200);
        for (int i = 0; i < 1000; i++) { // a keep-alive connection moves its deadline on every request
            heap.schedule(a, 300 + i);
        }
        assertEquals(2, heap.size());
        assertSame(b, heap.first());
        heap.cancel(b);
        assertSame(a, heap.first());
        assertEquals(1299, heap.earliest());
    }
}
