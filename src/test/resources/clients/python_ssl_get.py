#!/usr/bin/env python3
"""GET a path over TLS with Python's ssl module (OpenSSL underneath, driven by Python).

Prints "<status> <sha256 of body> <tls version> <resumed>" on one line. With --byte-records
the request goes out one byte per TLS record (one SSLSocket.send per byte), the most
fragmented request a client can send. With --resume the GET is done twice, the second
connection offering the first one's TLS session.
"""
import argparse
import hashlib
import socket
import ssl
import sys


def get(ctx, port, path, byte_records, session=None):
    raw = socket.create_connection(("127.0.0.1", port), timeout=60)
    s = ctx.wrap_socket(raw, server_hostname="localhost", session=session)
    request = ("GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n" % path).encode("ascii")
    if byte_records:
        for i in range(len(request)):
            s.sendall(request[i:i + 1])
    else:
        s.sendall(request)
    data = bytearray()
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    result = (bytes(data), s.version(), s.session_reused, s.session)
    s.close()
    return result


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--cafile", required=True)
    p.add_argument("--path", required=True)
    p.add_argument("--tls", choices=["1.2", "1.3"], required=True)
    p.add_argument("--byte-records", action="store_true")
    p.add_argument("--resume", action="store_true")
    a = p.parse_args()
    ctx = ssl.create_default_context(cafile=a.cafile)
    version = ssl.TLSVersion.TLSv1_2 if a.tls == "1.2" else ssl.TLSVersion.TLSv1_3
    ctx.minimum_version = version
    ctx.maximum_version = version
    ctx.set_alpn_protocols(["http/1.1"])
    data, negotiated, reused, session = get(ctx, a.port, a.path, a.byte_records)
    if a.resume:
        data, negotiated, reused, _ = get(ctx, a.port, a.path, a.byte_records, session)
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        print("no HTTP response: %r" % data[:200], file=sys.stderr)
        return 1
    status = head.split(b" ", 2)[1].decode("ascii")
    print(status, hashlib.sha256(body).hexdigest(), negotiated, "resumed" if reused else "new")
    return 0


if __name__ == "__main__":
    sys.exit(main())
