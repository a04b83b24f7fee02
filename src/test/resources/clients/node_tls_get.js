#!/usr/bin/env node
// GET a path over TLS with Node.js's tls module (OpenSSL underneath, driven by Node), twice:
// the second connection offers the first one's session (its ticket). Prints
// "<status> <sha256 of body> <tls version> <resumed>" for the second connection.
// Usage: node node_tls_get.js PORT CAFILE PATH TLS(1.2|1.3)
'use strict';
const tls = require('tls');
const fs = require('fs');
const crypto = require('crypto');
const [port, cafile, path, version] = process.argv.slice(2);
const v = version === '1.3' ? 'TLSv1.3' : 'TLSv1.2';

function get(session) {
  return new Promise((resolve, reject) => {
    let latest = null;
    const s = tls.connect({host: '127.0.0.1', port: Number(port), servername: 'localhost',
      ca: fs.readFileSync(cafile), minVersion: v, maxVersion: v, ALPNProtocols: ['http/1.1'], session},
    () => s.write('GET ' + path + ' HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'));
    s.on('session', (x) => { latest = x; });
    const chunks = [];
    s.on('data', (c) => chunks.push(c));
    s.on('error', reject);
    s.on('end', () => resolve({data: Buffer.concat(chunks), version: s.getProtocol(),
      reused: s.isSessionReused(), session: latest}));
  });
}

(async () => {
  const first = await get(undefined);
  if (!first.session) {
    throw new Error('no session (ticket) from the first connection');
  }
  const second = await get(first.session);
  const text = second.data;
  const end = text.indexOf('\r\n\r\n');
  const status = text.slice(0, end).toString('latin1').split(' ')[1];
  const body = text.slice(end + 4);
  console.log(status, crypto.createHash('sha256').update(body).digest('hex'), second.version,
    second.reused ? 'resumed' : 'new');
})().catch((e) => { console.error(e); process.exit(1); });
