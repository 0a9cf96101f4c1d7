// Our client (the ws-client binary in --echo mode) against a Node `ws` server: the
// interop matrix of `cargo xtask interop`, driven from the server side.
//
// Usage: INTEROP_NODE=<dir with node_modules> node node_server.mjs WS_CLIENT_BINARY CLIENT_PROPERTIES BUFFER_SIZE
//
// For each check the client is started on a path naming the check; the server sends
// messages and compares the echoes, then closes with a code and checks the client's
// answer and exit status (0 for 1000, 3 for another code); for invalid UTF-8 and a
// message over the client's BUFFER_SIZE it checks the client's own close (1007, 1009)
// and exit status 4 (failed). Prints
// `RESULT<TAB>feature<TAB>PASS|FAIL<TAB>detail` lines; exits non-zero on a failure.
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

const require = createRequire(resolve(process.env.INTEROP_NODE, 'package.json'));
const { WebSocketServer } = require('ws');

const [client, properties] = process.argv.slice(2);
const BUFFER_SIZE = Number(process.argv[4]);
const SIZES = [0, 1, 125, 126, 127, 65535, 65536, 65537, 1 << 20, 16 << 20];
const CLOSE_CODES = [1000, 1001, 1003, 1007, 1008, 1011, 3000, 4999];
const TIMEOUT_MS = 60000;
let failed = false;

function report(feature, ok, detail) {
  failed ||= !ok;
  console.log(`RESULT\t${feature}\t${ok ? 'PASS' : 'FAIL'}\t${detail}`);
}

function textOf(n) {
  const pattern = 'The quick brown fox jumps over the lazy dog 0123456789. ';
  return pattern.repeat(Math.ceil(n / pattern.length) + 1).slice(0, n);
}

/** Adds a `next()` that resolves with the next message or close. */
function queued(ws) {
  const queue = [];
  let waiter = null;
  const push = (item) => { if (waiter) { const w = waiter; waiter = null; w(item); } else queue.push(item); };
  ws.on('message', (data, isBinary) => push({ data, isBinary }));
  ws.on('close', (code) => push({ close: code }));
  ws.next = () => queue.length ? Promise.resolve(queue.shift()) : new Promise((r) => { waiter = r; });
  return ws;
}

async function sizes(ws, kind, deflate) {
  const negotiated = ws.extensions.includes('permessage-deflate');
  if (negotiated !== deflate) return [false, `permessage-deflate negotiated: ${negotiated}`, 1000];
  for (const n of SIZES) {
    const payload = kind === 'text' ? textOf(n) : randomBytes(n);
    ws.send(payload, { binary: kind === 'binary' });
    const m = await ws.next();
    if (m.close !== undefined) return [false, `${n} bytes: closed with ${m.close}`, null];
    const same = kind === 'text'
      ? !m.isBinary && m.data.toString('utf8') === payload
      : m.isBinary && Buffer.compare(m.data, payload) === 0;
    if (!same) return [false, `${n} bytes: echo differs (${m.isBinary ? 'binary' : 'text'}, ${m.data.length})`, 1000];
  }
  return [true, `${SIZES.length} sizes up to ${SIZES.at(-1) >> 20} MiB`, 1000];
}

async function fragmented(ws) {
  const textParts = ['héllo ', 'wörld ', '✓😀', ''];
  const binaryParts = [Buffer.from([0, 1]), Buffer.alloc(0), Buffer.alloc(70000, 0xff)];
  textParts.forEach((p, i) => ws.send(p, { fin: i === textParts.length - 1, binary: false }));
  let m = await ws.next();
  if (m.isBinary || String(m.data) !== textParts.join('')) return [false, `text echo ${m.data}`, 1000];
  binaryParts.forEach((p, i) => ws.send(p, { fin: i === binaryParts.length - 1, binary: true }));
  m = await ws.next();
  if (!m.isBinary || Buffer.compare(m.data, Buffer.concat(binaryParts)) !== 0) {
    return [false, `binary echo of ${m.data?.length} bytes`, 1000];
  }
  return [true, 'text and binary sent in fragments (fin: false), echoed whole', 1000];
}

async function pingPong(ws) {
  for (const payload of [Buffer.alloc(0), Buffer.from('ping!'), Buffer.alloc(125)]) {
    const pong = new Promise((r) => ws.once('pong', r));
    ws.ping(payload);
    const got = await pong;
    if (Buffer.compare(got, payload) !== 0) return [false, `pong payload of ${got.length} bytes`, 1000];
  }
  return [true, 'pings of 0, 5 and 125 bytes answered with their payload', 1000];
}

async function closeCode(ws, code) {
  ws.send('before close');
  await ws.next();
  return [true, '', code];
}

async function clientCloses(ws, expected) {
  // ws sends a Buffer with binary: false as a text frame without checking it.
  if (expected === 1007) ws.send(Buffer.from([0x6f, 0x6b, 0x20, 0xff, 0xfe]), { binary: false });
  else ws.send(Buffer.alloc(BUFFER_SIZE + 1), { binary: true });
  const m = await ws.next();
  if (m.close === undefined) return [false, 'an echo instead of a close', 'client'];
  return [m.close === expected, `client closed with ${m.close}`, 'client'];
}

async function subprotocol(ws) {
  if (ws.protocol !== 'chat') return [false, `negotiated '${ws.protocol}'`, 1000];
  return [true, 'client offered nope, chat; server chose chat', 1000];
}

const CASES = new Map();
for (const deflate of [true, false]) {
  for (const kind of ['text', 'binary']) {
    CASES.set(`/${kind}-${deflate ? 'on' : 'off'}`, [`${kind} 0 B..16 MiB, ${deflate ? 'deflate' : 'no deflate'}`,
      deflate ? [] : ['--no-deflate'], (ws) => sizes(ws, kind, deflate)]);
  }
}
CASES.set('/fragments', ['fragmented messages', [], fragmented]);
CASES.set('/ping', ['ping/pong', [], pingPong]);
for (const code of CLOSE_CODES) CASES.set(`/close-${code}`, [`close ${code}`, [], (ws) => closeCode(ws, code)]);
CASES.set('/invalid-utf8', ['invalid UTF-8 from peer -> 1007', [], (ws) => clientCloses(ws, 1007)]);
CASES.set('/too-big', ['message over buffer size -> 1009', [], (ws) => clientCloses(ws, 1009)]);
CASES.set('/subprotocol', ['subprotocol', ['--protocol', 'nope', '--protocol', 'chat'], subprotocol]);

const pending = new Map(); // path -> resolve((ok, detail, code))
const wss = new WebSocketServer({
  host: '127.0.0.1', port: 0, perMessageDeflate: true, maxPayload: 32 << 20,
  handleProtocols: (offered) => (offered.has('chat') ? 'chat' : false),
});
await new Promise((r) => wss.once('listening', r));
const port = wss.address().port;

wss.on('connection', async (ws, req) => {
  queued(ws);
  const done = pending.get(req.url);
  if (!done) { ws.close(1008, 'unexpected path'); return; }
  pending.delete(req.url);
  try {
    const [ok, detail, code] = await CASES.get(req.url)[2](ws);
    if (code === null || code === 'client') { done([ok, detail, code]); return; }
    ws.close(code, 'done');
    let m;
    do { m = await ws.next(); } while (m.close === undefined);
    if (ok && m.close !== code) done([false, `client answered the close ${code} with ${m.close}`, code]);
    else done([ok, detail || `client answered ${m.close}`, code]);
  } catch (e) {
    done([false, `${e.name}: ${e.message}`, null]);
  }
});

async function runCase(path) {
  const [feature, flags] = CASES.get(path);
  const result = new Promise((r) => pending.set(path, r));
  const proc = spawn(client, ['--echo', '--config', properties, ...flags, `ws://127.0.0.1:${port}${path}`],
    { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((r) => proc.on('exit', (status) => r(status)));
  let timer;
  const timeout = new Promise((r) => { timer = setTimeout(() => r('timeout'), TIMEOUT_MS); });
  const status = await Promise.race([exited, timeout]);
  clearTimeout(timer);
  if (status === 'timeout') { proc.kill(); report(feature, false, 'client did not exit'); return; }
  // The server side may still be reading the client's last frames: wait for the
  // check's outcome (a hang guard, not a timing assertion).
  const guard = new Promise((r) => { timer = setTimeout(() => r(null), 10000); });
  const outcome = await Promise.race([result, guard]);
  clearTimeout(timer);
  if (outcome === null) {
    pending.delete(path);
    report(feature, false, `client exited ${status} before the check: ${stderr.trim()}`);
    return;
  }
  let [ok, detail, code] = outcome;
  // The client's own protocol-error close ends with 4 (failed); a close by the
  // server with a code other than 1000 with 3.
  const expected = code === 1000 ? 0 : code === 'client' ? 4 : 3;
  if (ok && status !== expected) { ok = false; detail = `client exit status ${status}, expected ${expected}: ${stderr.trim()}`; }
  report(feature, ok, ok ? `${detail}; exit ${status}` : detail);
}

for (const path of CASES.keys()) await runCase(path);
wss.close();
process.exit(failed ? 1 : 0);
