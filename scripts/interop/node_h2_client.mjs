// Node's `http2` module as an independent RFC 8441 client of our server: it reads
// the server's SETTINGS_ENABLE_CONNECT_PROTOCOL, opens WebSockets as extended
// CONNECT streams of one connection and speaks the frames itself (h2_frames.mjs).
//
// Usage: node node_h2_client.mjs https://HOST:PORT CERT_PEM
//
// Prints `RESULT<TAB>feature<TAB>PASS|FAIL<TAB>detail` lines; exits non-zero on a failure.
import http2 from 'node:http2';
import { readFileSync } from 'node:fs';
import { encode, reader } from './h2_frames.mjs';

const [base, certPem] = process.argv.slice(2);
const TIMEOUT_MS = 20000;
let failed = false;
function report(feature, ok, detail) {
  failed ||= !ok;
  console.log(`RESULT\t${feature}\t${ok ? 'PASS' : 'FAIL'}\t${detail}`);
}
function timeout(p, what) {
  return Promise.race([p, new Promise((_, rej) => setTimeout(() => rej(new Error(`${what}: timed out`)), TIMEOUT_MS))]);
}

const session = http2.connect(base, { ca: readFileSync(certPem), servername: 'localhost' });
session.on('error', (e) => report('(connection)', false, e.message));
const settings = await timeout(new Promise((r) => session.once('remoteSettings', r)), 'SETTINGS');

async function websocket(path, headers = {}) {
  const stream = session.request({
    ':method': 'CONNECT', ':protocol': 'websocket', ':scheme': 'https', ':path': path,
    ':authority': new URL(base).host, 'sec-websocket-version': '13', ...headers,
  });
  const response = await timeout(new Promise((r, rej) => { stream.once('response', r); stream.once('error', rej); }), 'response');
  return { stream, status: response[':status'], headers: response, frames: reader(stream) };
}

async function check(feature, run) {
  try { report(feature, true, await timeout(run(), feature)); }
  catch (e) { report(feature, false, `${e.name}: ${e.message}`); }
}

await check('SETTINGS_ENABLE_CONNECT_PROTOCOL', async () => {
  if (settings.enableConnectProtocol !== true) throw new Error(`settings: ${JSON.stringify(settings)}`);
  return 'advertised by the server';
});

await check('extended CONNECT is HTTP/2 on the server', async () => {
  const ws = await websocket('/http-version');
  if (ws.status !== 200) throw new Error(`status ${ws.status}`);
  const m = await ws.frames.next();
  if (m.data?.toString() !== 'HTTP/2') throw new Error(`server says ${JSON.stringify(m.data?.toString())}`);
  ws.stream.write(encode(8, Buffer.from([0x03, 0xe8]), { mask: true }));
  const c = await ws.frames.next();
  if (c.close !== 1000) throw new Error(`close ${JSON.stringify(c)}`);
  ws.stream.end();
  return '200, server reports HTTP/2, close 1000';
});

await check('echo on 10 streams of one connection', async () => {
  const sockets = await Promise.all(Array.from({ length: 10 }, () => websocket('/echo')));
  await Promise.all(sockets.map(async (ws, i) => {
    if (ws.status !== 200) throw new Error(`status ${ws.status}`);
    const text = `stream ${i} ✓ `.repeat(1000);
    const bin = Buffer.alloc(100000, i);
    ws.stream.write(encode(1, Buffer.from(text), { mask: true }));
    ws.stream.write(encode(2, bin, { mask: true }));
    const a = await ws.frames.next();
    const b = await ws.frames.next();
    if (a.opcode !== 1 || a.data.toString() !== text) throw new Error(`text echo ${i}`);
    if (b.opcode !== 2 || !b.data.equals(bin)) throw new Error(`binary echo ${i}`);
    ws.stream.write(encode(8, Buffer.from([0x03, 0xe8]), { mask: true }));
    const c = await ws.frames.next();
    if (c.close !== 1000) throw new Error(`close ${JSON.stringify(c)}`);
    ws.stream.end();
  }));
  return '10 WebSockets: text 16 KB and binary 100 KB echoed, clean close';
});

await check('unknown :protocol refused', async () => {
  const stream = session.request({
    ':method': 'CONNECT', ':protocol': 'webtransport', ':scheme': 'https', ':path': '/echo',
    ':authority': new URL(base).host, 'sec-websocket-version': '13',
  });
  const response = await new Promise((r, rej) => { stream.once('response', r); stream.once('error', rej); });
  stream.close();
  if (response[':status'] !== 400) throw new Error(`status ${response[':status']}`);
  return '400';
});

await check('unmasked client frame fails with 1002', async () => {
  const ws = await websocket('/echo');
  ws.stream.write(encode(1, Buffer.from('not masked')));
  const c = await ws.frames.next();
  if (c.close !== 1002) throw new Error(`close ${JSON.stringify(c)}`);
  return 'close 1002';
});

session.close();
process.exit(failed ? 1 : 0);
