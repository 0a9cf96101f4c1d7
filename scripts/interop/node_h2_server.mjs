// Node's `http2` module as an independent RFC 8441 server driving
// `ws-client --echo --http2`: it advertises SETTINGS_ENABLE_CONNECT_PROTOCOL on
// plain TCP (prior knowledge), accepts the extended CONNECT, and speaks the frames
// itself (h2_frames.mjs): messages out, their echoes checked, then a close.
//
// Usage: node node_h2_server.mjs WS_CLIENT_BIN CONFIG_PROPERTIES
//
// Prints `RESULT<TAB>feature<TAB>PASS|FAIL<TAB>detail` lines; exits non-zero on a failure.
import http2 from 'node:http2';
import { spawn } from 'node:child_process';
import { encode, reader } from './h2_frames.mjs';

const [clientBin, config] = process.argv.slice(2);
const TIMEOUT_MS = 20000;
let failed = false;
function timeout(p, what) {
  return Promise.race([p, new Promise((_, rej) => setTimeout(() => rej(new Error(`${what}: timed out`)), TIMEOUT_MS))]);
}
function report(feature, ok, detail) {
  failed ||= !ok;
  console.log(`RESULT\t${feature}\t${ok ? 'PASS' : 'FAIL'}\t${detail}`);
}

const server = http2.createServer({ settings: { enableConnectProtocol: true } });
let seen = null;
const session = new Promise((resolve) => {
  server.on('stream', (stream, headers) => {
    seen = headers;
    if (headers[':method'] !== 'CONNECT' || headers[':protocol'] !== 'websocket') {
      stream.respond({ ':status': 400 });
      stream.end();
      return;
    }
    stream.respond({ ':status': 200 });
    resolve(stream);
  });
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const port = server.address().port;

const child = spawn(clientBin, ['--config', config, '--echo', '--http2', `ws://127.0.0.1:${port}/echo`], {
  stdio: ['ignore', 'inherit', 'inherit'],
});
const exited = new Promise((r) => child.on('exit', (code) => r(code)));

try {
  const stream = await Promise.race([session, new Promise((_, rej) => setTimeout(() => rej(new Error('no extended CONNECT')), TIMEOUT_MS))]);
  report('extended CONNECT with prior knowledge', true,
    `:method ${seen[':method']}, :protocol ${seen[':protocol']}, sec-websocket-version ${seen['sec-websocket-version']}`);
  const frames = reader(stream);
  const text = 'over an HTTP/2 stream ✓ '.repeat(2000);
  const bin = Buffer.alloc(300000, 7);
  stream.write(encode(1, text));
  stream.write(encode(2, bin));
  // A fragmented text message.
  stream.write(encode(1, 'frag', { fin: false }));
  stream.write(encode(0, 'mented', { fin: true }));
  const a = await timeout(frames.next(), 'text echo');
  const b = await timeout(frames.next(), 'binary echo');
  const c = await timeout(frames.next(), 'fragmented echo');
  report('text echo', a.opcode === 1 && a.data.toString() === text, `${a.data?.length} bytes`);
  report('binary echo', b.opcode === 2 && b.data.equals(bin), `${b.data?.length} bytes`);
  report('fragmented echo', c.opcode === 1 && c.data.toString() === 'fragmented', JSON.stringify(c.data?.toString()));
  stream.write(encode(8, Buffer.from([0x03, 0xe8])));
  const close = await timeout(frames.next(), 'close');
  report('close handshake', close.close === 1000, JSON.stringify(close));
  stream.end();
  const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), TIMEOUT_MS))]);
  report('ws-client exit status', code === 0, `exit ${code}`);
} catch (e) {
  report('session', false, e.message);
  child.kill();
}
server.close();
process.exit(failed ? 1 : 0);
