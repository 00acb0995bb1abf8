//! Starts a real `imagegram serve` on free ports for a spec ($IMAGEGRAM_BIN, default ../target/debug/imagegram),
//! with an admin account, and waits for /healthz.
//! If that binary does not serve the app at `/` (an older build), a small Node front (dist + /v1 proxy) stands
//! in, with `--public-url` naming it so the object endpoint's CORS default origin is the page's origin.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync, existsSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { createServer as netServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve, extname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ADMIN = { username: 'admin', password: 'admin-password-1' };
const webDir = fileURLToPath(new URL('..', import.meta.url));

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = netServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
    s.on('error', rej);
  });
}

export interface Running {
  /** The page's origin (the API's, or the Node front's). */
  url: string;
  apiUrl: string;
  s3Url: string;
  stop(): Promise<void>;
  log(): string;
}

export interface ServeOptions {
  /** Route presigned URLs through this origin (a fault proxy in front of the object endpoint). */
  s3PublicUrl?: (s3Port: number) => Promise<string>;
  uploadUrlTtl?: number;
}

async function waitHealthy(url: string, child: ChildProcess, out: string[]) {
  const until = Date.now() + 60_000;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`imagegram exited ${child.exitCode}:\n${out.join('')}`);
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`imagegram did not become healthy:\n${out.join('')}`);
}

/** Whether this server serves the app itself at `/` (the finished server does; an older binary does not). */
async function servesApp(url: string): Promise<boolean> {
  try {
    const r = await fetch(`${url}/`, { headers: { Accept: 'text/html' } });
    return r.status === 200 && (await r.text()).includes('<div id="root">');
  } catch {
    return false;
  }
}

export async function startServer(opts: ServeOptions = {}): Promise<Running> {
  const bin = resolve(webDir, process.env.IMAGEGRAM_BIN ?? '../target/debug/imagegram');
  if (!existsSync(bin)) throw new Error(`no server binary at ${bin} (set IMAGEGRAM_BIN)`);
  const [port, s3Port] = [await freePort(), await freePort()];
  const apiUrl = `http://127.0.0.1:${port}`;
  const s3Url = `http://127.0.0.1:${s3Port}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'imagegram-e2e-'));
  const s3Public = opts.s3PublicUrl ? await opts.s3PublicUrl(s3Port) : undefined;
  const env: NodeJS.ProcessEnv = { ...process.env, IMAGEGRAM_ADMIN: `${ADMIN.username}:${ADMIN.password}`, RUST_LOG: process.env.RUST_LOG ?? 'warn' };
  if (opts.uploadUrlTtl) env.IMAGEGRAM_UPLOAD_URL_TTL = String(opts.uploadUrlTtl);
  const out: string[] = [];

  const launch = async (publicUrl?: string) => {
    const args = ['serve', '--addr', `127.0.0.1:${port}`, '--s3-addr', `127.0.0.1:${s3Port}`, '--data-dir', dataDir];
    if (s3Public) args.push('--s3-public-url', s3Public);
    if (publicUrl) args.push('--public-url', publicUrl);
    const child = spawn(bin, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d) => out.push(String(d)));
    child.stderr!.on('data', (d) => out.push(String(d)));
    await waitHealthy(apiUrl, child, out);
    return child;
  };
  const kill = async (child: ChildProcess) => {
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
  };

  // E2E_FRONT=1 always puts the Node front before the API, 0 never; by default only when `/` is not served.
  const mode = process.env.E2E_FRONT;
  let child = await launch();
  let front: Server | null = null;
  let url = apiUrl;
  if (mode === '1' || (mode !== '0' && !(await servesApp(apiUrl)))) {
    await kill(child);
    const frontPort = await freePort();
    url = `http://127.0.0.1:${frontPort}`;
    child = await launch(url);
    front = await startFront(frontPort, port, new URL(s3Public ?? s3Url).origin);
  }
  return {
    url,
    apiUrl,
    s3Url,
    log: () => out.join(''),
    async stop() {
      front?.close();
      await kill(child);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const types: Record<string, string> = { '.js': 'text/javascript', '.css': 'text/css', '.html': 'text/html; charset=utf-8' };

/** The policy the server sends with the app (see NOTES.md), so the app is tested under it here too. */
export function csp(objectOrigin: string) {
  return `default-src 'self'; img-src 'self' data: blob: ${objectOrigin}; connect-src 'self' ${objectOrigin}; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'`;
}

/** Serves web/dist under the server's CSP and forwards /v1, /healthz and /openapi.json to the API. */
function startFront(port: number, apiPort: number, objectOrigin: string): Promise<Server> {
  const dist = join(webDir, 'dist');
  const s = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path.startsWith('/v1') || path === '/healthz' || path === '/openapi.json') {
      const up = request({ host: '127.0.0.1', port: apiPort, method: req.method, path: req.url, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.on('error', () => res.destroy());
      req.pipe(up);
      return;
    }
    const file = path.startsWith('/assets/') && existsSync(join(dist, path)) ? join(dist, path) : join(dist, 'index.html');
    res.writeHead(200, { 'Content-Type': types[extname(file)] ?? 'application/octet-stream', 'Content-Security-Policy': csp(objectOrigin) });
    res.end(readFileSync(file));
  });
  return new Promise((r) => s.listen(port, '127.0.0.1', () => r(s)));
}
