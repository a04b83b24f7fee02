#!/usr/bin/env python3
"""Opens N connections to HOST:PORT that stall, of one KIND, and keeps them open:
  handshakes  sends a TLS 1.3 ClientHello, then nothing (the server's flight is never answered)
  heads       completes the handshake and sends half a request head ("GET PATH HTTP/1.1\\r\\nHo")
  downloads   completes the handshake with a 4 KiB receive buffer, requests PATH, and
              stops reading (its window closes once the first 128 KiB are buffered)
Prints "held N failed F" on stdout once all are open, then waits for SIGTERM, and
closes them. What the fresh clients meanwhile get is measured by the caller.
Usage: slow-clients.py KIND HOST PORT N PATH [CONCURRENCY]"""
import asyncio
import resource
import signal
import socket
import ssl
import sys

kind, host, port, count, path = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
concurrency = int(sys.argv[6]) if len(sys.argv) > 6 else 32
if kind not in ("handshakes", "heads", "downloads"):
    sys.exit(f"unknown kind {kind}")

soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if soft < count + 64:
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, count + 1024), hard))

context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
context.check_hostname = False
context.verify_mode = ssl.CERT_NONE
context.minimum_version = ssl.TLSVersion.TLSv1_3  # the servers pin the suite; X25519 is OpenSSL's first group


def client_hello():
    """A real ClientHello, from OpenSSL through a memory BIO (a fresh one per connection)."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = context.wrap_bio(incoming, outgoing, server_hostname=host)
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


async def one(gate, held):
    async with gate:
        loop = asyncio.get_running_loop()
        if kind == "handshakes":
            reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 60)
            writer.write(client_hello())
            await writer.drain()
            first = await asyncio.wait_for(reader.read(5), 60)  # the server's flight begins
            if len(first) < 5 or first[0] != 22:
                raise RuntimeError(f"no ServerHello: {first!r}")
        else:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            if kind == "downloads":
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.setblocking(False)
            await asyncio.wait_for(loop.sock_connect(sock, (host, port)), 60)
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(sock=sock, ssl=context, server_hostname=host), 60)
            if kind == "heads":
                writer.write(f"GET {path} HTTP/1.1\r\nHo".encode())
            else:
                writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 60)
                if not head.startswith(b"HTTP/1.1 200"):
                    raise RuntimeError(head.split(b"\r\n")[0].decode(errors="replace"))
            await writer.drain()
        held.append((reader, writer))


async def main():
    gate = asyncio.Semaphore(concurrency)
    held = []
    results = await asyncio.gather(*(one(gate, held) for _ in range(count)), return_exceptions=True)
    failures = [r for r in results if isinstance(r, BaseException)]
    print(f"held {len(held)} failed {len(failures)}", flush=True)
    if failures:
        print(f"first failure: {failures[0]!r}", file=sys.stderr, flush=True)
    done = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, done.set)
    await done.wait()
    for _, w in held:
        w.transport.abort()


asyncio.run(main())
