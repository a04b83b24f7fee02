package io.ktlshttps.server;

import java.util.Arrays;

/**
 * One event loop's deadlines: a binary min-heap of its connections by deadline
 * ({@link System#nanoTime} terms), each connection knowing its own place in it, so that
 * setting, moving and cancelling a deadline cost O(log n) and leave no stale entries (a
 * keep-alive connection moves its deadline on every request). A connection has at most
 * one deadline: the one of what it waits for now. For the loop's thread only.
 */
final class TimerHeap {
    /** What has a deadline: a connection. */
    abstract static class Timed {
        /** The deadline ({@link System#nanoTime} terms) while in a heap. */
        long deadline;
        /** The place in its heap, -1 when it has no deadline. */
        int timerIndex = -1;
    }

    private Timed[] heap = new Timed[256];
    private int size;

    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    /** The earliest deadline; only when not {@link #isEmpty}. */
    long earliest() {
        return heap[0].deadline;
    }

    /** The connection with the earliest deadline, or null; it stays scheduled. */
    Timed first() {
        return size == 0 ? null : heap[0];
    }

    /** Sets (or moves) c's deadline. */
    void schedule(Timed c, long deadline) {
        c.deadline = deadline;
        int i = c.timerIndex;
        if (i < 0) {
            if (size == heap.length) {
                heap = Arrays.copyOf(heap, size * 2);
            }
            i = size++;
            heap[i] = c;
            c.timerIndex = i;
        }
        if (!up(i)) {
            down(i);
        }
    }

    /** Takes c's deadline away, if it has one. */
    void cancel(Timed c) {
        int i = c.timerIndex;
        if (i < 0) {
            return;
        }
        c.timerIndex = -1;
        size--;
        if (i != size) {
            Timed last = heap[size];
            heap[i] = last;
            last.timerIndex = i;
            if (!up(i)) {
                down(i);
            }
        }
        heap[size] = null;
    }

    /** Moves entry i towards the root while it is earlier than its parent; true if it moved. */
    private boolean up(int i) {
        Timed c = heap[i];
        int start = i;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            Timed p = heap[parent];
            if (c.deadline - p.deadline >= 0) {
                break;
            }
            heap[i] = p;
            p.timerIndex = i;
            i = parent;
        }
        heap[i] = c;
        c.timerIndex = i;
        return i != start;
    }

    private void down(int i) {
        Timed c = heap[i];
        while (true) {
            int child = 2 * i + 1;
            if (child >= size) {
                break;
            }
            if (child + 1 < size && heap[child + 1].deadline - heap[child].deadline < 0) {
                child++;
            }
            Timed smaller = heap[child];
            if (smaller.deadline - c.deadline >= 0) {
                break;
            }
            heap[i] = smaller;
            smaller.timerIndex = i;
            i = child;
        }
        heap[i] = c;
        c.timerIndex = i;
    }
}
