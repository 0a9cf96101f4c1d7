// Node `ws` as a client of our server: the interop matrix of `cargo xtask interop`.
//
// Usage: INTEROP_NODE=<dir with node_modules> node node_client.mjs ws://HOST:PORT BUFFER_SIZE
//
// The server's text and binary buffers are BUFFER_SIZE bytes (above 16 MiB).
//
// Prints one line per check, `RESULT<TAB>feature<TAB>PASS|FAIL<TAB>detail`, and exits
// non-zero if a check failed.
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';

const require = createRequire(resolve(process.env.INTEROP_NODE, 'package.json'));
const WebSocket = require('ws');

const BASE = process.argv[2];
const BUFFER_SIZE = Number(process.argv[3]);
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

/** An open socket with a queue of incoming messages and events. */
function open(path, { deflate = true, protocols = [] } = {}) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(BASE + path, protocols, {
      perMessageDeflate: deflate, maxPayload: 32 << 20, handshakeTimeout: 10000,
    });
    const queue = [];
    let waiter = null;
    const push = (item) => { if (waiter) { const w = waiter; waiter = null; w(item); } else queue.push(item); };
    ws.on('message', (data, isBinary) => push({ data, isBinary }));
    ws.on('close', (code, reason) => push({ close: code, reason: reason.toString() }));
    ws.next = () => queue.length ? Promise.resolve(queue.shift()) : new Promise((r) => { waiter = r; });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

async function sizes(kind, deflate) {
  const ws = await open('/echo', { deflate });
  try {
    const negotiated = ws.extensions.includes('permessage-deflate');
    if (negotiated !== deflate) return [false, `permessage-deflate negotiated: ${negotiated}`];
    for (const n of SIZES) {
      const payload = kind === 'text' ? textOf(n) : randomBytes(n);
      ws.send(payload, { binary: kind === 'binary' });
      const m = await ws.next();
      if (m.close !== undefined) return [false, `${n} bytes: closed with ${m.close} ${m.reason}`];
      const same = kind === 'text'
        ? !m.isBinary && m.data.toString('utf8') === payload
        : m.isBinary && Buffer.compare(m.data, payload) === 0;
      if (!same) return [false, `${n} bytes: echo differs (${m.isBinary ? 'binary' : 'text'}, ${m.data.length})`];
    }
    return [true, `${SIZES.length} sizes up to ${SIZES.at(-1) >> 20} MiB`];
  } finally { ws.terminate(); }
}

async function fragmented() {
  const textParts = ['héllo ', 'wörld ', '✓😀', ''];
  const binaryParts = [Buffer.from([0, 1]), Buffer.alloc(0), Buffer.alloc(70000, 0xff)];
  for (const path of ['/echo', '/echo-partial', '/echo-stream']) {
    const ws = await open(path);
    try {
      textParts.forEach((p, i) => ws.send(p, { fin: i === textParts.length - 1, binary: false }));
      let m = await ws.next();
      if (m.isBinary || m.data.toString('utf8') !== textParts.join('')) return [false, `${path}: text echo ${m.data}`];
      binaryParts.forEach((p, i) => ws.send(p, { fin: i === binaryParts.length - 1, binary: true }));
      m = await ws.next();
      if (!m.isBinary || Buffer.compare(m.data, Buffer.concat(binaryParts)) !== 0) {
        return [false, `${path}: binary echo of ${m.data.length} bytes`];
      }
    } finally { ws.terminate(); }
  }
  return [true, 'text and binary in fragments (fin: false) to /echo, /echo-partial, /echo-stream'];
}

async function pingPong() {
  const ws = await open('/echo');
  try {
    for (const payload of [Buffer.alloc(0), Buffer.from('ping!'), Buffer.alloc(125)]) {
      const pong = new Promise((resolve) => ws.once('pong', resolve));
      ws.ping(payload);
      const got = await pong;
      if (Buffer.compare(got, payload) !== 0) return [false, `pong payload ${got.length} bytes`];
    }
    return [true, 'pings of 0, 5 and 125 bytes answered with their payload'];
  } finally { ws.terminate(); }
}

async function closeCode(code) {
  const ws = await open('/echo');
  ws.send('before close');
  await ws.next();
  ws.close(code, 'bye');
  const m = await ws.next();
  if (m.close === undefined) return [false, 'a message instead of the close'];
  return [m.close === code, `server answered ${m.close}`];
}

/** Sends invalid UTF-8 as text (expected 1007) or a message over the buffer (1009). */
async function peerError(expected) {
  const ws = await open('/echo', { deflate: false });
  // ws sends a Buffer with binary: false as a text frame without checking it.
  if (expected === 1007) ws.send(Buffer.from([0x6f, 0x6b, 0x20, 0xff, 0xfe]), { binary: false });
  else ws.send(Buffer.alloc(BUFFER_SIZE + 1), { binary: true });
  const m = await ws.next();
  if (m.close === undefined) { ws.terminate(); return [false, 'an echo instead of a close']; }
  return [m.close === expected, `server closed with ${m.close}`];
}

async function subprotocol() {
  // ws refuses a 101 without a protocol when it offered some: that is how "none
  // chosen" shows here.
  try {
    const ws = await open('/echo-stream', { protocols: ['nope'] });
    ws.terminate();
    return [false, `offered nope: got '${ws.protocol}'`];
  } catch (e) {
    if (!/no subprotocol/.test(e.message)) return [false, `offered nope: ${e.message}`];
  }
  const cases = [[['nope', 'echo.v2', 'echo.v1'], 'echo.v2'], [['echo.v1'], 'echo.v1']];
  for (const [offered, expected] of cases) {
    const ws = await open('/echo-stream', { protocols: offered });
    const got = ws.protocol;
    ws.terminate();
    if (got !== expected) return [false, `offered ${offered}: got '${got}', expected '${expected}'`];
  }
  return [true, "client's first supported protocol chosen; none when none matches"];
}

async function chat() {
  const a = await open('/chat');
  const b = await open('/chat', { deflate: false });
  try {
    const joinedA = (await a.next()).data.toString();
    await b.next(); // b's own join notice
    // a may see b's join notice: skip notices until the message.
    a.send('<i>node</i>');
    const name = joinedA.slice(2).split(' ')[0];
    const expected = `${name}: &lt;i&gt;node&lt;/i&gt;`;
    let got;
    do { got = (await b.next()).data.toString(); } while (got.startsWith('* '));
    return [got === expected, `got ${got}`];
  } finally { a.terminate(); b.terminate(); }
}

async function check(feature, run) {
  let result;
  try {
    let timer;
    const timeout = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error('timed out')), TIMEOUT_MS); });
    result = await Promise.race([run(), timeout]);
    clearTimeout(timer);
  } catch (e) {
    result = [false, `${e.name}: ${e.message}`];
  }
  report(feature, result[0], result[1]);
}

for (const deflate of [true, false]) {
  for (const kind of ['text', 'binary']) {
    await check(`${kind} 0 B..16 MiB, ${deflate ? 'deflate' : 'no deflate'}`, () => sizes(kind, deflate));
  }
}
await check('fragmented messages', fragmented);
await check('ping/pong', pingPong);
for (const code of CLOSE_CODES) await check(`close ${code}`, () => closeCode(code));
await check('invalid UTF-8 from peer -> 1007', () => peerError(1007));
await check('message over buffer size -> 1009', () => peerError(1009));
await check('subprotocol', subprotocol);
await check('chat broadcast', chat);
process.exit(failed ? 1 : 0);
