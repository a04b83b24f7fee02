#!/usr/bin/env python3
"""Opens N TLS connections to HOST:PORT, sends one keep-alive request on each (GET PATH),
reads its response, and keeps every connection open and idle: what browsers do with the
connections they keep to a site. Prints "held N failed F" on stdout once all are open,
then waits for SIGTERM, and closes them.
Usage: idle-clients.py HOST PORT N PATH [CONCURRENCY]"""
import asyncio
import resource
import signal
import ssl
import sys

host, port, count, path = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
concurrency = int(sys.argv[5]) if len(sys.argv) > 5 else 32

soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if soft < count + 64:
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, count + 1024), hard))

context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
context.check_hostname = False
context.verify_mode = ssl.CERT_NONE
context.minimum_version = ssl.TLSVersion.TLSv1_3  # the servers pin the suite; X25519 is OpenSSL's first group
request = f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()


async def one(gate, held):
    async with gate:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port, ssl=context), 60)
        writer.write(request)
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 60)
        if not head.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(head.split(b"\r\n")[0].decode(errors="replace"))
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        await asyncio.wait_for(reader.readexactly(length), 60)
        held.append(writer)


async def main():
    gate = asyncio.Semaphore(concurrency)
    held = []
    results = await asyncio.gather(*(one(gate, held) for _ in range(count)), return_exceptions=True)
    failures = [r for r in results if isinstance(r, BaseException)]
    print(f"held {len(held)} failed {len(failures)}", flush=True)
    if failures:
        print(f"first failure: {failures[0]!r}", file=sys.stderr, flush=True)
    done = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, done.set)
    await done.wait()
    for w in held:
        w.close()


asyncio.run(main())
