#!/usr/bin/env python3
"""A TLS 1.3 client whose Finished and FIN leave in one TCP segment.

The handshake runs through memory BIOs. The client's last flight (its Finished) is
written with TCP_CORK set, then shutdown(SHUT_WR), so the kernel sends the data and the
FIN together: the server's socket is half-closed (CLOSE_WAIT) by the time the server has
read the Finished, before it can hand the connection to kernel TLS. Prints what the
server answered: "alert <description>" for a TLS alert, "eof" for a close without one,
or "data <n>" for application data.
"""
import argparse
import socket
import ssl
import sys


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--cafile", required=True)
    a = p.parse_args()
    ctx = ssl.create_default_context(cafile=a.cafile)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.maximum_version = ssl.TLSVersion.TLSv1_3
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = ctx.wrap_bio(incoming, outgoing, server_hostname="localhost")
    s = socket.create_connection(("127.0.0.1", a.port), timeout=30)
    while True:
        try:
            tls.do_handshake()
            break
        except ssl.SSLWantReadError:
            pending = outgoing.read()
            if pending:
                s.sendall(pending)
            data = s.recv(65536)
            if not data:
                print("eof before the handshake ended")
                return 1
            incoming.write(data)
    finished = outgoing.read()
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)
    s.sendall(finished)
    s.shutdown(socket.SHUT_WR)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 0)
    while True:
        try:
            n = len(tls.read(65536))
            print("data %d" % n)
            return 0
        except ssl.SSLWantReadError:
            data = s.recv(65536)
            if not data:
                incoming.write_eof()
                continue
            incoming.write(data)
        except ssl.SSLZeroReturnError:
            print("close_notify")
            return 0
        except ssl.SSLEOFError:
            print("eof")
            return 0
        except ssl.SSLError as e:
            print("alert " + (e.reason or str(e)).lower())
            return 0


if __name__ == "__main__":
    sys.exit(main())
