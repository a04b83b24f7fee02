#!/usr/bin/env python3
"""Top frames and shares of a collapsed-stack CPU profile (async-profiler's "collapsed" output).
Usage: profile-top.py FILE.collapsed [REQUESTS]"""
import collections
import sys

# Inclusive shares: a sample counts for every group one of its frames belongs to.
GROUPS = [
    ("JIT compiler threads", ["CompileBroker::"]),
    ("garbage collector", ["G1", "GCTaskThread", "ConcurrentGCThread", "WorkerThread::run"]),
    ("TLS handshake (HandshakeDriver.advance)", ["io/ktlshttps/tls/HandshakeDriver.advance"]),
    ("  ECDSA P-256 signing", ["org/bouncycastle/crypto/signers/ECDSASigner", "io/ktlshttps/tls/JcaEcdsaSigner"]),
    ("  X25519", ["org/bouncycastle/math/ec/rfc7748/X25519", "io/ktlshttps/tls/NativeX25519Agreement"]),
    ("  hashes (SHA-2)", ["org/bouncycastle/crypto/digests/", "io/ktlshttps/tls/JcaDigest",
                          "sun/security/provider/SHA", "sun/security/provider/DigestBase"]),
    ("  certificate and credentials", ["getCredentials", "Certificate"]),
    ("HTTP exchange (HttpExchange.resume)", ["io/ktlshttps/http/HttpExchange.resume"]),
    ("  user-space records (BouncyCastle)", ["org/bouncycastle/tls/TlsProtocol.readApplicationData",
                                            "org/bouncycastle/tls/TlsProtocol.writeApplicationData"]),
    ("  file handler", ["io/ktlshttps/files/FileHandler.handle"]),
    ("  response head", ["io/ktlshttps/http/HttpResponse.head"]),
    ("system calls through jnr (io/ktlshttps/linux/Native)", ["io/ktlshttps/linux/Native."]),
    ("  epoll_wait", ["Native.epollWait"]),
    ("  epoll_ctl", ["Native.epollControl"]),
    ("file I/O through the JDK (sun/nio)", ["sun/nio/"]),
    ("event loop threads, all their work (EventLoop.run)", ["io/ktlshttps/server/EventLoop.run"]),
]

stacks = []
for line in open(sys.argv[1]):
    line = line.rstrip()
    if not line:
        continue
    frames, n = line.rsplit(" ", 1)
    stacks.append((frames.split(";"), int(n)))
total = sum(n for _, n in stacks) or 1
requests = int(sys.argv[2]) if len(sys.argv) > 2 and sys.argv[2].isdigit() else 0
print(f"# {sys.argv[1].rsplit('/', 1)[-1]}: {total} samples (itimer, 10 ms)"
      + (f", {requests} requests while sampling" if requests else ""))
print()
print("## Shares (inclusive)")
for name, keys in GROUPS:
    n = sum(c for frames, c in stacks if any(k in f for f in frames for k in keys))
    print(f"{100 * n / total:5.1f}%  {name}")
print()
print("## Top frames (self)")
own = collections.Counter()
for frames, n in stacks:
    own[frames[-1]] += n
for f, n in own.most_common(30):
    print(f"{100 * n / total:5.1f}%  {f[:160]}")
