package io.ktlshttps.testing;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class KernelVersionTest {
    @Test
    void readsTheReleaseAsUnamePrintsIt() {
        assertTrue(KernelVersion.atLeast("6.1.0-28-amd64", 6, 1));
        assertFalse(KernelVersion.atLeast("6.1.0-28-amd64", 6, 14));
        assertTrue(KernelVersion.atLeast("6.14.2", 6, 14));
        assertFalse(KernelVersion.atLeast("6.14.2", 6, 19));
        assertTrue(KernelVersion.atLeast("7.3.0-1-cloud-amd64", 6, 19));
        assertTrue(KernelVersion.atLeast("6.19-rc1", 6, 19));
        assertFalse(KernelVersion.atLeast("5.19.0", 6, 1));
        assertTrue(KernelVersion.atLeast("10.0.0", 6, 19), "compared as numbers, not text");
    }
}
