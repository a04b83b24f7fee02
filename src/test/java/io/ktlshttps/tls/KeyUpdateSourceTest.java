package io.ktlshttps.tls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ktlshttps.net.KeyUpdateSource;
import io.ktlshttps.net.SessionKeys;
import io.ktlshttps.testing.RecordCrypto;
import io.ktlshttps.testing.ServerThread;
import io.ktlshttps.testing.TestCredentials;
import io.ktlshttps.testing.TestSuites;
import java.io.InputStream;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.EnumSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;

/**
 * What a kernel TLS channel keeps of the handshake for TLS 1.3 key updates: the next keys
 * must be right (checked against the JDK's own KeyUpdate, no kernel needed), and it must
 * keep nothing else of BouncyCastle's connection state, which an idle connection would
 * otherwise hold for as long as it stays open.
 */
class KeyUpdateSourceTest {
    private static final byte[] PING = "ping under the next key".getBytes(StandardCharsets.UTF_8);

    private record Seen(KeyUpdateSource source, List<Object> retained, int firstType, int firstHandshakeType,
            RecordCrypto.Opened second) {
    }

    @Test
    void nextReceiveKeysOpenTheJdkClientsRecordsAfterItsKeyUpdate() throws Exception {
        TestSuites suite = TestSuites.TLS13_AES_128_GCM;
        TlsServerConfig config = new TlsServerConfig(TestCredentials.ec(), EnumSet.of(suite.version),
                EnumSet.of(suite.cipher));
        try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             ServerThread<Seen> server = new ServerThread<>(() -> {
                 try (Socket socket = listener.accept()) {
                     InputStream raw = socket.getInputStream();
                     EstablishedTls tls = TlsHandshake.accept(raw, socket.getOutputStream(), config);
                     SessionKeys keys = tls.exportKeys();
                     KeyUpdateSource source = tls.keyUpdateSource();
                     List<Object> retained = reachable(source);
                     RecordCrypto.Opened first = new RecordCrypto(keys.receive()).open(raw);
                     RecordCrypto.Opened second = new RecordCrypto(source.nextReceiveKeys()).open(raw);
                     return new Seen(source, retained, first.contentType(), first.plaintext()[0] & 0xff, second);
                 }
             });
             SSLSocket client = (SSLSocket) TestCredentials.trustingContext(TestCredentials.ec()).getSocketFactory()
                     .createSocket("127.0.0.1", listener.getLocalPort())) {
            client.setEnabledProtocols(new String[] {suite.jdkProtocol()});
            client.setEnabledCipherSuites(new String[] {suite.jdkName});
            client.startHandshake();
            client.startHandshake(); // after a TLS 1.3 handshake the JDK sends a KeyUpdate
            client.getOutputStream().write(PING);
            client.getOutputStream().flush();
            Seen seen = server.join();
            assertEquals(22, seen.firstType(), "the first record is a handshake message");
            assertEquals(24, seen.firstHandshakeType(), "a KeyUpdate");
            assertEquals(23, seen.second().contentType());
            assertArrayEquals(PING, seen.second().plaintext(), "the next keys decrypt the client's next record");
            assertNotNull(seen.source());
            assertTrue(seen.retained().isEmpty(), "the key-update source reaches BouncyCastle's connection state: "
                    + seen.retained());
        }
    }

    @Test
    void tls12HasNone() throws Exception {
        TestSuites suite = TestSuites.TLS12_AES_128_GCM;
        TlsServerConfig config = new TlsServerConfig(TestCredentials.ec(), EnumSet.of(suite.version),
                EnumSet.of(suite.cipher));
        try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             ServerThread<KeyUpdateSource> server = new ServerThread<>(() -> {
                 try (Socket socket = listener.accept()) {
                     return TlsHandshake.accept(socket.getInputStream(), socket.getOutputStream(), config)
                             .keyUpdateSource();
                 }
             });
             SSLSocket client = (SSLSocket) TestCredentials.trustingContext(TestCredentials.ec()).getSocketFactory()
                     .createSocket("127.0.0.1", listener.getLocalPort())) {
            client.setEnabledProtocols(new String[] {suite.jdkProtocol()});
            client.setEnabledCipherSuites(new String[] {suite.jdkName});
            client.startHandshake();
            assertNull(server.join());
        }
    }

    /**
     * The objects reachable from root, through the fields of the project's and
     * BouncyCastle's classes and through arrays, that belong to a connection's protocol
     * state: the protocol, the TlsServer, its context, the crypto that made the record
     * ciphers, and the ciphers. (The JDK's own classes are not entered: their fields are
     * closed to reflection.)
     */
    private static List<Object> reachable(Object root) throws IllegalAccessException {
        List<Object> found = new ArrayList<>();
        Set<Object> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        Deque<Object> todo = new ArrayDeque<>();
        todo.add(root);
        while (!todo.isEmpty()) {
            Object o = todo.poll();
            if (!seen.add(o)) {
                continue;
            }
            if (o instanceof org.bouncycastle.tls.TlsProtocol || o instanceof org.bouncycastle.tls.TlsPeer
                    || o instanceof org.bouncycastle.tls.TlsContext || o instanceof SequenceTrackingCrypto
                    || o instanceof org.bouncycastle.tls.crypto.TlsCipher) {
                found.add(o.getClass().getName());
                continue;
            }
            Class<?> type = o.getClass();
            if (type.isArray()) {
                if (!type.getComponentType().isPrimitive()) {
                    for (Object element : (Object[]) o) {
                        if (element != null) {
                            todo.add(element);
                        }
                    }
                }
                continue;
            }
            for (Class<?> c = type; c != null; c = c.getSuperclass()) {
                String name = c.getName();
                if (!name.startsWith("io.ktlshttps.") && !name.startsWith("org.bouncycastle.")) {
                    continue;
                }
                for (Field f : c.getDeclaredFields()) {
                    if (Modifier.isStatic(f.getModifiers()) || f.getType().isPrimitive()) {
                        continue;
                    }
                    f.setAccessible(true);
                    Object value = f.get(o);
                    if (value != null) {
                        todo.add(value);
                    }
                }
            }
        }
        return found;
    }
}
