//! A fault proxy in front of the object endpoint, for the upload tests: forwards every request unchanged
//! (the Host header too, since SigV4 signs it; CORS preflights too, so CORS bugs show), and can cut a part
//! PUT's connection halfway through its body, cap the bandwidth of part bodies, or hold a request back.
//! It logs every part PUT and how it ended.

import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import { Transform } from 'node:stream';

export interface PartPut {
  number: number;
  attempt: number;
  /** 'ok' (2xx answer), 'status' (another answer), 'cut' (we cut it), 'aborted' (the client went away). */
  outcome: 'pending' | 'ok' | 'status' | 'cut' | 'aborted';
  status?: number;
  at: number;
}

export interface FaultRules {
  /** Cut this PUT halfway through its body. */
  cut?: (p: { number: number; attempt: number }) => boolean;
  /** Hold this PUT back for some ms before forwarding it (lets a short-lived URL expire). */
  delayMs?: (p: { number: number; attempt: number }) => number;
  /** Bandwidth cap per part PUT in bytes per second (null: no cap). */
  bytesPerSecond?: number | null;
}

export class FaultProxy {
  puts: PartPut[] = [];
  preflights = 0;
  rules: FaultRules = {};
  private server!: Server;
  port = 0;

  constructor(private readonly upstreamPort: number) {}

  static partNumber(req: IncomingMessage): number | null {
    const q = new URL(req.url ?? '/', 'http://x').searchParams.get('partNumber');
    return q ? Number(q) : null;
  }

  async listen(port: number): Promise<string> {
    this.port = port;
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server.listen(port, '127.0.0.1', () => r()));
    return `http://127.0.0.1:${port}`;
  }

  close() {
    this.server?.closeAllConnections?.();
    this.server?.close();
  }

  /** PUTs of part `n` that started after time `t`. */
  putsOf(n: number, after = 0) {
    return this.puts.filter((p) => p.number === n && p.at >= after);
  }

  private async handle(req: IncomingMessage, res: import('node:http').ServerResponse) {
    if (req.method === 'OPTIONS') this.preflights++;
    const number = req.method === 'PUT' ? FaultProxy.partNumber(req) : null;
    let log: PartPut | null = null;
    if (number !== null) {
      const attempt = this.puts.filter((p) => p.number === number).length + 1;
      log = { number, attempt, outcome: 'pending', at: Date.now() };
      this.puts.push(log);
      const delay = this.rules.delayMs?.({ number, attempt }) ?? 0;
      if (delay) {
        req.pause();
        await new Promise((r) => setTimeout(r, delay));
      }
    }
    const up = request(
      { host: '127.0.0.1', port: this.upstreamPort, method: req.method, path: req.url, headers: req.headers },
      (r) => {
        if (log && log.outcome === 'pending') {
          log.outcome = (r.statusCode ?? 0) < 300 ? 'ok' : 'status';
          log.status = r.statusCode;
        }
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    // The object endpoint may answer (403 expired) before it read the body and then close: keep that answer.
    up.on('error', () => {
      if (!res.headersSent) res.destroy();
    });
    req.on('aborted', () => {
      if (log && log.outcome === 'pending') log.outcome = 'aborted';
      up.destroy();
    });
    req.on('close', () => {
      if (!req.complete && log && log.outcome === 'pending') {
        log.outcome = 'aborted';
        up.destroy();
      }
    });
    if (log === null) {
      req.pipe(up);
      return;
    }
    const total = Number(req.headers['content-length'] ?? 0);
    const cut = this.rules.cut?.({ number: log.number, attempt: log.attempt }) ?? false;
    const rate = this.rules.bytesPerSecond ?? null;
    let seen = 0;
    const started = Date.now();
    const entry = log;
    const shaper = new Transform({
      transform(chunk: Buffer, _enc, done) {
        seen += chunk.length;
        if (cut && seen >= total / 2) {
          // Halfway: drop both connections, as a network failure would.
          entry.outcome = 'cut';
          up.destroy();
          req.socket.destroy();
          return done();
        }
        if (!rate) return done(null, chunk);
        const due = started + (seen / rate) * 1000;
        setTimeout(() => done(null, chunk), Math.max(0, due - Date.now()));
      },
    });
    req.pipe(shaper).pipe(up);
    req.resume();
  }
}
