package io.ktlshttps.testing;

import io.ktlshttps.net.AeadCipher;
import io.ktlshttps.net.TlsVersion;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.bouncycastle.tls.CipherSuite;
import org.bouncycastle.tls.ProtocolVersion;

/** Every (version, cipher) pair the server offers with an ECDSA certificate, with each client's name for it. */
public enum TestSuites {
    TLS12_AES_128_GCM(TlsVersion.TLS_1_2, AeadCipher.AES_128_GCM,
            CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            "ECDHE-ECDSA-AES128-GCM-SHA256"),
    TLS12_AES_256_GCM(TlsVersion.TLS_1_2, AeadCipher.AES_256_GCM,
            CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            "ECDHE-ECDSA-AES256-GCM-SHA384"),
    TLS12_CHACHA20_POLY1305(TlsVersion.TLS_1_2, AeadCipher.CHACHA20_POLY1305,
            CipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305"),
    TLS13_AES_128_GCM(TlsVersion.TLS_1_3, AeadCipher.AES_128_GCM,
            CipherSuite.TLS_AES_128_GCM_SHA256, "TLS_AES_128_GCM_SHA256", "TLS_AES_128_GCM_SHA256"),
    TLS13_AES_256_GCM(TlsVersion.TLS_1_3, AeadCipher.AES_256_GCM,
            CipherSuite.TLS_AES_256_GCM_SHA384, "TLS_AES_256_GCM_SHA384", "TLS_AES_256_GCM_SHA384"),
    TLS13_CHACHA20_POLY1305(TlsVersion.TLS_1_3, AeadCipher.CHACHA20_POLY1305,
            CipherSuite.TLS_CHACHA20_POLY1305_SHA256, "TLS_CHACHA20_POLY1305_SHA256",
            "TLS_CHACHA20_POLY1305_SHA256"),
    /** The JDK has no CCM: its client skips this one. */
    TLS13_AES_128_CCM(TlsVersion.TLS_1_3, AeadCipher.AES_128_CCM,
            CipherSuite.TLS_AES_128_CCM_SHA256, null, "TLS_AES_128_CCM_SHA256");

    public final TlsVersion version;
    public final AeadCipher cipher;
    public final int bcSuite;
    /** The JDK's (IANA) name, or null if the JDK lacks the suite. */
    public final String jdkName;
    public final String opensslName;

    TestSuites(TlsVersion version, AeadCipher cipher, int bcSuite, String jdkName, String opensslName) {
        this.version = version;
        this.cipher = cipher;
        this.bcSuite = bcSuite;
        this.jdkName = jdkName;
        this.opensslName = opensslName;
    }

    public ProtocolVersion bcVersion() {
        return version == TlsVersion.TLS_1_3 ? ProtocolVersion.TLSv13 : ProtocolVersion.TLSv12;
    }

    public String jdkProtocol() {
        return version.toString();
    }

    public static List<TestSuites> jdkSupported() {
        return Arrays.stream(values()).filter(s -> s.jdkName != null).collect(Collectors.toList());
    }
}
