package io.ktlshttps.testing;

import io.ktlshttps.net.KernelTls;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/** Runs kernel tests where kernel TLS works; fails them under CI=true where it does not. */
public final class RequiresKernelTls implements ExecutionCondition, BeforeAllCallback {
    static boolean inCi() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        if (KernelTls.available() || inCi()) {
            return ConditionEvaluationResult.enabled("kernel TLS available (or CI=true)");
        }
        return ConditionEvaluationResult.disabled("no kernel TLS on " + KernelTls.kernelRelease() + ": "
                + KernelTls.unavailabilityReason() + "; run make test, which uses the test kernel");
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        if (!KernelTls.available()) {
            throw new AssertionError("CI=true and kernel TLS is unavailable on " + KernelTls.kernelRelease()
                    + ": " + KernelTls.unavailabilityReason()
                    + ". Kernel tests must run in the test kernel (scripts/with-ktls-kernel.sh).");
        }
    }
}
