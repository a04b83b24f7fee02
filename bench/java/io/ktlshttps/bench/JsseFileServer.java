package io.ktlshttps.bench;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;

/**
 * The JSSE baseline for the benchmarks: the JDK's own TLS (SSLServerSocket), a thread per
 * connection, HTTP/1.1 keep-alive GET of files under a root, bodies copied in 64 KiB
 * chunks. Deliberately minimal; not part of the product.
 *
 * <p>Usage: JsseFileServer PORT ROOT CERT.pem KEY.pem [PROTOCOL SUITE] (PKCS#8 EC key; the
 * benchmark pins one protocol and one suite, as for every other server)
 */
public final class JsseFileServer {
    private JsseFileServer() {
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        Path root = Path.of(args[1]).toRealPath();
        SSLContext context = context(Path.of(args[2]), Path.of(args[3]));
        SSLServerSocket listener = (SSLServerSocket) context.getServerSocketFactory().createServerSocket(port, 512);
        listener.setEnabledProtocols(args.length > 4 ? new String[] {args[4]} : new String[] {"TLSv1.3", "TLSv1.2"});
        if (args.length > 5) {
            listener.setEnabledCipherSuites(new String[] {args[5]});
        }
        System.err.println("jsse baseline on port " + port);
        while (true) {
            Socket socket = listener.accept();
            socket.setTcpNoDelay(true); // as the servers it is compared with
            Thread t = new Thread(() -> serve(socket, root));
            t.setDaemon(true);
            t.start();
        }
    }

    private static SSLContext context(Path cert, Path key) throws Exception {
        Certificate certificate;
        try (InputStream in = Files.newInputStream(cert)) {
            certificate = CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
        String pem = Files.readString(key).replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        PrivateKey privateKey = KeyFactory.getInstance("EC").generatePrivate(
                new PKCS8EncodedKeySpec(Base64.getDecoder().decode(pem)));
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setKeyEntry("server", privateKey, new char[0], new Certificate[] {certificate});
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(store, new char[0]);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(kmf.getKeyManagers(), null, null);
        return context;
    }

    private static void serve(Socket socket, Path root) {
        try (socket) {
            InputStream in = new BufferedInputStream(socket.getInputStream());
            OutputStream out = socket.getOutputStream();
            byte[] chunk = new byte[65536];
            while (true) {
                String head = readHead(in);
                if (head == null) {
                    return;
                }
                String[] line = head.split("\r\n", 2)[0].split(" ");
                Path file = root.resolve(line[1].substring(1)).normalize();
                boolean close = head.toLowerCase().contains("connection: close");
                if (!file.startsWith(root) || !Files.isRegularFile(file)) {
                    out.write(("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    continue;
                }
                long size = Files.size(file);
                out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + size + (close ? "\r\nConnection: close" : "")
                        + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                try (InputStream body = Files.newInputStream(file)) {
                    for (int n; (n = body.read(chunk)) > 0; ) {
                        out.write(chunk, 0, n);
                    }
                }
                out.flush();
                if (close) {
                    return;
                }
            }
        } catch (IOException e) {
            // client went away
        }
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int state = 0;
        for (int b; (b = in.read()) >= 0; ) {
            head.write(b);
            state = (b == '\r' || b == '\n') ? state + 1 : 0;
            if (state == 4) {
                return head.toString(StandardCharsets.ISO_8859_1);
            }
        }
        return null;
    }
}
