package io.ktlshttps.testing;

import io.ktlshttps.net.KernelTlsChannel;
import io.ktlshttps.net.NativeServerSocket;
import io.ktlshttps.net.NativeSocket;
import io.ktlshttps.tls.EstablishedTls;
import io.ktlshttps.tls.SessionCache;
import io.ktlshttps.tls.TlsHandshake;
import io.ktlshttps.tls.TlsServerConfig;
import java.io.IOException;
import java.net.InetAddress;
import java.util.EnumSet;

/** A one-connection-at-a-time test server on loopback over the project's own native sockets. */
public final class KernelTestServer implements AutoCloseable {
    private final NativeServerSocket listener;

    public KernelTestServer() throws IOException {
        listener = NativeServerSocket.bind(InetAddress.getByName("127.0.0.1"), 0, 16);
    }

    public int port() throws IOException {
        return listener.localPort();
    }

    /** What a scenario gets: the handshake's outcome and the socket under it. */
    public record Accepted(EstablishedTls tls, NativeSocket socket) {
        public KernelTlsChannel handOff() throws IOException {
            return tls.handOffToKernel(socket);
        }
    }

    /** The server side of one test. */
    @FunctionalInterface
    public interface Scenario<T> {
        T run(Accepted accepted) throws Exception;
    }

    /** Accepts one connection on a server thread, handshakes with only this suite, and runs the scenario. */
    public <T> ServerThread<T> serve(TestSuites suite, Scenario<T> scenario) {
        return serve(suite, null, scenario);
    }

    /** As above, with a TLS 1.2 session cache (null: none), so that clients may resume. */
    public <T> ServerThread<T> serve(TestSuites suite, SessionCache sessions, Scenario<T> scenario) {
        TlsServerConfig config = new TlsServerConfig(TestCredentials.ec(), EnumSet.of(suite.version),
                EnumSet.of(suite.cipher)).withSessions(sessions);
        return new ServerThread<>(() -> {
            try (NativeSocket socket = listener.accept()) {
                socket.setTimeout(30_000);
                EstablishedTls tls = TlsHandshake.accept(socket, config);
                return scenario.run(new Accepted(tls, socket));
            }
        });
    }

    @Override
    public void close() throws IOException {
        listener.close();
    }
}
