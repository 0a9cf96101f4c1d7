// Headless Chromium (Debian's, driven by playwright-core) against the demo pages:
// chat in two tabs, echo over ws:// and wss://, snake ticks, drawboard in two tabs;
// and two servers sharing a Redis (REDIS_A, REDIS_B): chat and snake with one tab
// on each. Screenshots go to OUT.
//
// Usage: INTEROP_NODE=<dir with node_modules> node browser.mjs HTTP_BASE HTTPS_BASE CERT_PEM OUT AXUM_BASE REDIS_A REDIS_B
//
// Over HTTPS the demo server offers HTTP/2 by ALPN: the page loads over h2 and its
// WebSocket is an extended CONNECT on that connection (RFC 8441), which the
// server's /http-version endpoint confirms. AXUM_BASE is the ws-axum chat example.
//
// The wss:// server's self-signed certificate is trusted through Chromium's
// --ignore-certificate-errors-spki-list with the SHA-256 of its public key (SPKI).
// Prints `RESULT<TAB>feature<TAB>PASS|FAIL<TAB>detail` lines; exits non-zero on a failure.
import { createRequire } from 'node:module';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const require = createRequire(resolve(process.env.INTEROP_NODE, 'package.json'));
const { chromium } = require('playwright-core');

const [httpBase, httpsBase, certPem, out, axumBase, redisA, redisB] = process.argv.slice(2);
const TIMEOUT_MS = 20000;
let failed = false;

function report(feature, ok, detail) {
  failed ||= !ok;
  console.log(`RESULT\t${feature}\t${ok ? 'PASS' : 'FAIL'}\t${detail}`);
}

const spki = createHash('sha256')
  .update(new X509Certificate(readFileSync(certPem)).publicKey.export({ type: 'spki', format: 'der' }))
  .digest('base64');

const profile = mkdtempSync(join(tmpdir(), 'interop-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: [
    '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    `--ignore-certificate-errors-spki-list=${spki}`,
  ],
  viewport: { width: 800, height: 700 },
});
context.setDefaultTimeout(TIMEOUT_MS);

async function check(feature, run) {
  try {
    const detail = await run();
    report(feature, true, detail);
  } catch (e) {
    report(feature, false, `${e.name}: ${e.message.split('\n')[0]}`);
  }
}

async function echo(base, shot) {
  const page = await context.newPage();
  try {
    await page.goto(base + '/echo.html');
    await page.selectOption('#endpoint', '/echo-stream');
    await page.click('#connect');
    await page.waitForFunction(() => document.getElementById('log').textContent.includes('Info: connected'));
    await page.fill('#message', 'Hello from Chromium ✓');
    await page.click('#send');
    await page.waitForFunction(() => document.getElementById('log').textContent.includes('Received: Hello from Chromium ✓'));
    const status = await page.textContent('#status');
    await page.screenshot({ path: join(out, shot) });
    return `${status}; echo received; ${shot}`;
  } finally { await page.close(); }
}

await check('chat page, two tabs', async () => {
  const [a, b] = [await context.newPage(), await context.newPage()];
  try {
    for (const p of [a, b]) {
      await p.goto(httpBase + '/chat.html');
      await p.waitForFunction(() => document.getElementById('status').textContent === 'connected');
    }
    const message = 'Hello from tab A <b>not bold</b>';
    await a.fill('#chat', message);
    await a.press('#chat', 'Enter');
    await b.waitForFunction((m) => document.getElementById('console').textContent.includes(m), message);
    const bold = await b.$$eval('#console b', (els) => els.length);
    if (bold !== 0) throw new Error('markup from a message was rendered');
    await a.waitForFunction((m) => document.getElementById('console').textContent.includes(m), message);
    await a.screenshot({ path: join(out, 'chat-tab-a.png') });
    await b.screenshot({ path: join(out, 'chat-tab-b.png') });
    return 'message typed in tab A shown (escaped) in tab B; chat-tab-a.png, chat-tab-b.png';
  } finally { await a.close(); await b.close(); }
});
await check('echo page over ws://', () => echo(httpBase, 'echo-ws.png'));
await check('echo page over wss://', () => echo(httpsBase, 'echo-wss.png'));
await check('snake page ticks', async () => {
  const page = await context.newPage();
  try {
    await page.goto(httpBase + '/snake.html');
    await page.waitForFunction(() => Number(document.getElementById('ticks').textContent) > 0);
    const first = Number(await page.textContent('#ticks'));
    await page.keyboard.press('ArrowDown');
    await page.waitForFunction((t) => Number(document.getElementById('ticks').textContent) >= t + 20, first);
    await page.keyboard.press('ArrowLeft');
    await page.waitForFunction((t) => Number(document.getElementById('ticks').textContent) >= t + 30, first);
    const players = await page.textContent('#players');
    await page.screenshot({ path: join(out, 'snake.png') });
    return `ticks ${first} -> ${await page.textContent('#ticks')}; ${players.trim()}; snake.png`;
  } finally { await page.close(); }
});

await check('HTTP/2 page and WebSocket on one connection', async () => {
  const page = await context.newPage();
  try {
    await page.goto(httpsBase + '/echo.html');
    const protocol = await page.evaluate(() => performance.getEntriesByType('navigation')[0].nextHopProtocol);
    if (protocol !== 'h2') throw new Error(`page loaded over ${protocol}`);
    const seen = await page.evaluate(() => new Promise((resolve, reject) => {
      const ws = new WebSocket(location.origin.replace('https:', 'wss:') + '/http-version');
      ws.onmessage = (e) => { resolve(e.data); ws.close(1000); };
      ws.onerror = () => reject(new Error('WebSocket failed'));
    }));
    if (seen !== 'HTTP/2') throw new Error(`the server saw the WebSocket over ${seen}`);
    return 'page over h2; the server saw its WebSocket as an extended CONNECT (HTTP/2)';
  } finally { await page.close(); }
});

if (axumBase) {
  await check('axum chat page, two tabs', async () => {
    const [a, b] = [await context.newPage(), await context.newPage()];
    try {
      for (const p of [a, b]) {
        await p.goto(axumBase + '/');
        await p.waitForFunction(() => document.getElementById('status').textContent === 'connected');
      }
      const message = 'Hello from Chromium via axum <i>plain</i>';
      await a.fill('#chat', message);
      await a.press('#chat', 'Enter');
      await b.waitForFunction((m) => document.getElementById('console').textContent.includes(m), message);
      if (await b.$$eval('#console i', (els) => els.length) !== 0) throw new Error('markup rendered');
      await b.screenshot({ path: join(out, 'axum-chat.png') });
      return 'message typed in tab A shown (as text) in tab B; axum-chat.png';
    } finally { await a.close(); await b.close(); }
  });
}
await check('drawboard, two tabs', async () => {
  const [a, b] = [await context.newPage(), await context.newPage()];
  try {
    for (const p of [a, b]) {
      await p.goto(httpBase + '/drawboard.html');
      await p.waitForFunction(() => document.getElementById('status').textContent === 'connected');
    }
    await a.fill('#color', '#e01010');
    await a.selectOption('#width', '10');
    // A zig-zag drawn with the mouse in tab A.
    const box = await a.locator('#board').boundingBox();
    await a.mouse.move(box.x + 100, box.y + 100);
    await a.mouse.down();
    for (let i = 1; i <= 20; i++) await a.mouse.move(box.x + 100 + i * 20, box.y + 100 + (i % 2) * 60, { steps: 2 });
    await a.mouse.up();
    // Tab B draws it too: strokes counted, and the red is on its canvas.
    await b.waitForFunction(() => Number(document.getElementById('count').textContent) >= 20);
    const red = await b.evaluate(() => {
      const data = document.getElementById('board').getContext('2d').getImageData(0, 0, 900, 600).data;
      let n = 0;
      for (let i = 0; i < data.length; i += 4) if (data[i] > 200 && data[i + 1] < 60 && data[i + 2] < 60) n++;
      return n;
    });
    if (red < 1000) throw new Error(`only ${red} red pixels in tab B`);
    // A newcomer (tab C) gets the picture.
    const c = await context.newPage();
    await c.goto(httpBase + '/drawboard.html');
    await c.waitForFunction(() => Number(document.getElementById('count').textContent) >= 20);
    await c.close();
    await a.screenshot({ path: join(out, 'drawboard-tab-a.png') });
    await b.screenshot({ path: join(out, 'drawboard-tab-b.png') });
    return `strokes drawn in tab A appear in tab B (${red} red pixels) and in a new tab; drawboard-tab-a.png, drawboard-tab-b.png`;
  } finally { await a.close(); await b.close(); }
});

await check('chat, two tabs on two servers (redis)', async () => {
  const [a, b] = [await context.newPage(), await context.newPage()];
  try {
    await a.goto(redisA + '/chat.html');
    await b.goto(redisB + '/chat.html');
    for (const p of [a, b]) {
      await p.waitForFunction(() => document.getElementById('status').textContent === 'connected');
    }
    // The second server subscribes on Redis as its member joins: send until it
    // has (a few tries at most).
    const seen = async (p, m) => p.waitForFunction((m) => document.getElementById('console').textContent.includes(m), m, { timeout: 2000 }).then(() => true, () => false);
    let tries = 0;
    for (const [from, to, name] of [[a, b, 'A'], [b, a, 'B']]) {
      for (let i = 0; ; i++) {
        const m = `Hello from tab ${name} on server ${name} #${i}`;
        await from.fill('#chat', m);
        await from.press('#chat', 'Enter');
        tries++;
        if (await seen(to, m)) break;
        if (i === 4) throw new Error(`"${m}" did not reach the other server`);
      }
    }
    await a.screenshot({ path: join(out, 'chat-redis-server-a.png') });
    await b.screenshot({ path: join(out, 'chat-redis-server-b.png') });
    return `messages cross both ways between ${redisA} and ${redisB} (${tries} sends); chat-redis-server-a.png, chat-redis-server-b.png`;
  } finally { await a.close(); await b.close(); }
});

await check('snake, two tabs on two servers (redis)', async () => {
  const [a, b] = [await context.newPage(), await context.newPage()];
  try {
    await a.goto(redisA + '/snake.html');
    await b.goto(redisB + '/snake.html');
    // One game: each tab lists both players.
    for (const p of [a, b]) {
      await p.waitForFunction(() => document.querySelectorAll('#players li').length === 2);
    }
    const first = Number(await b.textContent('#ticks'));
    await b.waitForFunction((t) => Number(document.getElementById('ticks').textContent) >= t + 10, first);
    await a.screenshot({ path: join(out, 'snake-redis-server-a.png') });
    await b.screenshot({ path: join(out, 'snake-redis-server-b.png') });
    return `both tabs show 2 players, ticks ${first} -> ${await b.textContent('#ticks')}; snake-redis-server-a.png, snake-redis-server-b.png`;
  } finally { await a.close(); await b.close(); }
});

await context.close();
rmSync(profile, { recursive: true, force: true });
process.exit(failed ? 1 : 0);
