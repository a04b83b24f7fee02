#!/usr/bin/env python3
"""Opens TRIES new TLS connections to 127.0.0.1:PORT with Nagle left on (as Python's
asyncio and many libraries do), and times each one's first request: from sending
"GET PATH" right after the handshake to the end of the response ("Connection: close").
With --resume, TLS 1.2 and every connection after the first resumes the first's session
(an abbreviated handshake, where the client sends the last handshake message).
Prints the fastest time in milliseconds, and how many connections were resumed."""
import argparse
import socket
import ssl
import time

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--path", default="/small.txt")
parser.add_argument("--tries", type=int, default=5)
parser.add_argument("--resume", action="store_true")
args = parser.parse_args()

context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
context.check_hostname = False
context.verify_mode = ssl.CERT_NONE
if args.resume:
    context.maximum_version = ssl.TLSVersion.TLSv1_2
else:
    context.minimum_version = ssl.TLSVersion.TLSv1_3
request = f"GET {args.path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode()

session = None
fastest = None
resumed = 0
for i in range(args.tries + (1 if args.resume else 0)):
    raw = socket.create_connection(("127.0.0.1", args.port), timeout=30)
    tls = context.wrap_socket(raw, session=session)
    start = time.perf_counter()
    tls.sendall(request)
    response = b""
    while True:
        chunk = tls.recv(65536)
        if not chunk:
            break
        response += chunk
    elapsed = (time.perf_counter() - start) * 1000
    if not response.startswith(b"HTTP/1.1 200 "):
        raise SystemExit("unexpected response: " + response[:80].decode(errors="replace"))
    if args.resume and session is None:
        session = tls.session  # the first connection only gives the session to resume
    else:
        resumed += 1 if tls.session_reused else 0
        fastest = elapsed if fastest is None else min(fastest, elapsed)
    tls.close()
print(f"{fastest:.1f} {resumed}")
