package io.ktlshttps.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A test of the kernel TLS path: it needs a kernel with CONFIG_TLS (the host's, or the
 * test kernel of scripts/with-ktls-kernel.sh). Outside CI it is skipped where kernel TLS
 * is missing; with CI=true that is a failure.
 */
@Target(ElementType.TYPE)
@Inherited
@Retention(RetentionPolicy.RUNTIME)
@Tag("kernel")
@ExtendWith(RequiresKernelTls.class)
public @interface KernelTest {
}
