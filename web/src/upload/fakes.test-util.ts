//! A fake API + object endpoint for the uploader tests: stores parts, answers like S3, and lets a test script
//! failures per request.

import type { UploadApi, UploadInfo, PartUrl } from './uploader';

export type Script = (req: { number: number; url: string; attempt: number }) =>
  | { status: number; body?: string; headers?: Record<string, string> }
  | 'network'
  | undefined;

export class FakeServer {
  uploads = new Map<string, { size: number; partSize: number; parts: Map<number, { etag: string; size: number }>; status: UploadInfo['status'] }>();
  generation = 0;
  calls: Array<{ op: string; args: unknown[] }> = [];
  puts: Array<{ number: number; url: string }> = [];
  inFlight = 0;
  maxInFlight = 0;
  attempts = new Map<number, number>();
  script: Script = () => undefined;
  /** Parts whose URLs were signed before this generation are expired. */
  expiredBefore = 0;
  failCreate: Array<{ status: number; retryAfterMs?: number }> = [];
  nextId = 1;

  url = (id: string, n: number) => `https://objects.test/${id}/${n}?gen=${this.generation}`;

  api: UploadApi = {
    create: async (body, key) => {
      this.calls.push({ op: 'create', args: [body, key] });
      const f = this.failCreate.shift();
      if (f) throw Object.assign(new Error('busy'), { status: f.status, retryAfterMs: f.retryAfterMs ?? null });
      const id = `U${this.nextId++}`;
      const partSize = 10;
      this.uploads.set(id, { size: body.size, partSize, parts: new Map(), status: 'uploading' });
      const n = Math.ceil(body.size / partSize);
      return { id, part_size: partSize, parts: range(n).map((k) => ({ number: k, url: this.url(id, k) })), expires_at: '' };
    },
    get: async (id) => {
      this.calls.push({ op: 'get', args: [id] });
      const u = this.uploads.get(id);
      if (!u) throw Object.assign(new Error('not found'), { status: 404 });
      return {
        id,
        status: u.status,
        size: u.size,
        part_size: u.partSize,
        parts_received: [...u.parts].sort((a, b) => a[0] - b[0]).map(([number, p]) => ({ number, ...p })),
      };
    },
    sign: async (id, numbers, key): Promise<PartUrl[]> => {
      this.calls.push({ op: 'sign', args: [id, numbers, key] });
      this.generation++;
      return numbers.map((n) => ({ number: n, url: this.url(id, n) }));
    },
    complete: async (id, parts, key) => {
      this.calls.push({ op: 'complete', args: [id, parts, key] });
      const u = this.uploads.get(id)!;
      for (const p of parts) if (u.parts.get(p.number)?.etag !== p.etag) throw Object.assign(new Error('invalid_part'), { status: 400 });
      u.status = 'uploaded';
      return { id, status: 'uploaded' };
    },
  };

  fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input);
    const m = /objects\.test\/([^/]+)\/(\d+)\?gen=(\d+)/.exec(url)!;
    const [id, number, gen] = [m[1], Number(m[2]), Number(m[3])];
    const attempt = (this.attempts.get(number) ?? 0) + 1;
    this.attempts.set(number, attempt);
    this.puts.push({ number, url });
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await new Promise((r) => setTimeout(r, 1));
      if (init?.signal?.aborted) throw new DOMException('aborted', 'AbortError');
      const scripted = this.script({ number, url, attempt });
      if (scripted === 'network') throw new TypeError('Failed to fetch');
      if (scripted) return new Response(scripted.body ?? '', { status: scripted.status, headers: scripted.headers });
      if (gen < this.expiredBefore) {
        return new Response('<?xml version="1.0"?><Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>', { status: 403 });
      }
      const body = init!.body as Blob;
      const bytes = new Uint8Array(await body.arrayBuffer());
      const etag = `"etag-${number}-${bytes.length}-${bytes[0]}"`;
      this.uploads.get(id)!.parts.set(number, { etag, size: bytes.length });
      return new Response('', { status: 200, headers: { ETag: etag } });
    } finally {
      this.inFlight--;
    }
  }) as typeof fetch;
}

export function range(n: number) {
  return Array.from({ length: n }, (_, i) => i + 1);
}

export function fakeFile(size: number, name = 'photo.png'): File {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = i % 251;
  return new File([bytes], name, { type: 'image/png', lastModified: 1700000000000 });
}
