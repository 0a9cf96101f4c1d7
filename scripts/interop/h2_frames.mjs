// A minimal WebSocket framing (RFC 6455 section 5) for the HTTP/2 interop peers:
// Node's `http2` module carries the stream (RFC 8441), this file the frames on it,
// so the peer is independent of our code and of the `ws` library alike.
import { randomBytes } from 'node:crypto';

/** Encodes one frame; `mask` for a client. */
export function encode(opcode, payload, { mask = false, fin = true } = {}) {
  const data = Buffer.from(payload);
  const n = data.length;
  const head = [(fin ? 0x80 : 0) | opcode];
  const bit = mask ? 0x80 : 0;
  if (n < 126) head.push(bit | n);
  else if (n < 65536) head.push(bit | 126, n >> 8, n & 0xff);
  else {
    head.push(bit | 127);
    const len = Buffer.alloc(8);
    len.writeBigUInt64BE(BigInt(n));
    head.push(...len);
  }
  if (!mask) return Buffer.concat([Buffer.from(head), data]);
  const key = randomBytes(4);
  const masked = Buffer.alloc(n);
  for (let i = 0; i < n; i++) masked[i] = data[i] ^ key[i & 3];
  return Buffer.concat([Buffer.from(head), key, masked]);
}

/**
 * Reads frames from a Node stream and assembles messages: `next()` resolves to
 * `{ opcode, data }` for a whole text/binary message, `{ close, reason }` for a
 * close frame, `{ pong }` for a pong, or `{ end: true }` at the end of the stream.
 */
export function reader(stream) {
  let buf = Buffer.alloc(0);
  const queue = [];
  let waiter = null;
  let parts = [];
  let first = 0;
  const push = (item) => { if (waiter) { const w = waiter; waiter = null; w(item); } else queue.push(item); };
  stream.on('data', (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    for (;;) {
      if (buf.length < 2) return;
      const fin = (buf[0] & 0x80) !== 0;
      const opcode = buf[0] & 0x0f;
      const masked = (buf[1] & 0x80) !== 0;
      let len = buf[1] & 0x7f;
      let off = 2;
      if (len === 126) { if (buf.length < 4) return; len = buf.readUInt16BE(2); off = 4; }
      else if (len === 127) { if (buf.length < 10) return; len = Number(buf.readBigUInt64BE(2)); off = 10; }
      const keyLen = masked ? 4 : 0;
      if (buf.length < off + keyLen + len) return;
      let data = Buffer.from(buf.subarray(off + keyLen, off + keyLen + len));
      if (masked) {
        const key = buf.subarray(off, off + 4);
        for (let i = 0; i < data.length; i++) data[i] ^= key[i & 3];
      }
      buf = buf.subarray(off + keyLen + len);
      if (opcode === 8) push({ close: data.length >= 2 ? data.readUInt16BE(0) : 1005, reason: data.subarray(2).toString() });
      else if (opcode === 10) push({ pong: data });
      else if (opcode === 9) stream.emit('ws-ping', data);
      else {
        if (opcode !== 0) first = opcode;
        parts.push(data);
        if (fin) { push({ opcode: first, data: Buffer.concat(parts) }); parts = []; }
      }
    }
  });
  stream.on('end', () => push({ end: true }));
  stream.on('error', (e) => push({ end: true, error: e }));
  return { next: () => (queue.length ? Promise.resolve(queue.shift()) : new Promise((r) => { waiter = r; })) };
}
