import { describe, expect, it } from 'vitest';
import { upload, UploadError, isExpiredAnswer, type UploaderOptions } from './uploader';
import { fetchTransport } from './transport';
import { fileKey, memoryStore } from './resumeStore';
import { FakeServer, fakeFile, range } from './fakes.test-util';

function harness(server: FakeServer, extra: Partial<UploaderOptions> = {}) {
  let clock = 1_000_000;
  const sleeps: number[] = [];
  let ids = 0;
  const opts: UploaderOptions = {
    api: server.api,
    transport: fetchTransport(server.fetch),
    random: () => 0.5,
    backoff: { baseMs: 100, capMs: 1000 },
    now: () => clock,
    sleep: async (ms, signal) => {
      sleeps.push(ms);
      clock += ms;
      if (signal?.aborted) throw new DOMException('aborted', 'AbortError');
    },
    uuid: () => `key-${++ids}`,
    onlineTarget: null,
    isOnline: () => true,
    ...extra,
  };
  return { opts, sleeps };
}

describe('upload', () => {
  it('sends every part and completes with the ETags in part order', async () => {
    // Given a 95-byte file and 10-byte parts
    const server = new FakeServer();
    const { opts } = harness(server);
    // When it is uploaded
    const res = await upload(opts, { file: fakeFile(95), contentType: 'image/png' });
    // Then 10 parts were sent once each and completed in order
    expect(res.sentParts).toEqual(range(10));
    expect(server.puts).toHaveLength(10);
    const complete = server.calls.find((c) => c.op === 'complete')!;
    expect((complete.args[1] as Array<{ number: number }>).map((p) => p.number)).toEqual(range(10));
    expect(complete.args[2]).toBe(`complete-${res.uploadId}`);
    expect(server.uploads.get(res.uploadId)!.parts.get(10)!.size).toBe(5);
  });

  it('keeps at most `parallel` parts in flight (default 4)', async () => {
    const server = new FakeServer();
    await upload(harness(server).opts, { file: fakeFile(200), contentType: 'image/png' });
    expect(server.maxInFlight).toBe(4);
    const s2 = new FakeServer();
    await upload({ ...harness(s2).opts, parallel: 2 }, { file: fakeFile(200), contentType: 'image/png' });
    expect(s2.maxInFlight).toBe(2);
  });

  it('retries a part after network errors with full-jitter backoff', async () => {
    const server = new FakeServer();
    server.script = ({ number, attempt }) => (number === 3 && attempt <= 3 ? 'network' : undefined);
    const { opts, sleeps } = harness(server);
    const phases: string[] = [];
    await upload(opts, { file: fakeFile(50), contentType: 'image/png', onProgress: (p) => phases.push(p.phase) });
    expect(server.attempts.get(3)).toBe(4);
    expect(phases).toContain('retrying');
    expect(phases.at(-1)).toBe('done');
    // random() = 0.5 of min(cap 1000, 100 * 2^attempt): 50, 100, 200
    expect(sleeps).toEqual([50, 100, 200]);
  });

  it('bounds the backoff by the cap and gives up after maxAttempts', async () => {
    const server = new FakeServer();
    server.script = ({ number }) => (number === 1 ? 'network' : undefined);
    const { opts, sleeps } = harness(server, { maxAttempts: 6 });
    const err = await upload(opts, { file: fakeFile(30), contentType: 'image/png' }).catch((e) => e);
    expect(err).toBeInstanceOf(UploadError);
    expect(err.kind).toBe('network');
    expect(server.attempts.get(1)).toBe(6);
    expect(sleeps).toEqual([50, 100, 200, 400, 500]);
    expect(server.calls.some((c) => c.op === 'complete')).toBe(false);
  });

  it('retries 5xx answers', async () => {
    const server = new FakeServer();
    server.script = ({ number, attempt }) => (number === 2 && attempt === 1 ? { status: 500, body: '<Error/>' } : undefined);
    await upload(harness(server).opts, { file: fakeFile(30), contentType: 'image/png' });
    expect(server.attempts.get(2)).toBe(2);
  });

  it('re-signs expired URLs once for all unfinished parts and goes on', async () => {
    const server = new FakeServer();
    server.expiredBefore = 1; // every URL from create (generation 0) has expired
    const res = await upload(harness(server).opts, { file: fakeFile(60), contentType: 'image/png' });
    const signs = server.calls.filter((c) => c.op === 'sign');
    expect(signs).toHaveLength(1);
    expect(signs[0].args[1]).toEqual(range(6));
    expect(server.uploads.get(res.uploadId)!.status).toBe('uploaded');
  });

  it('re-signs after a network error when the URL has expired by its X-Amz-Date and X-Amz-Expires', async () => {
    // Given URLs that expired long ago, refused by a connection reset rather than a readable 403
    const server = new FakeServer();
    server.url = (id, n) =>
      `https://objects.test/${id}/${n}?gen=${server.generation}&X-Amz-Date=${server.generation ? '29990101T000000Z' : '19700101T000000Z'}&X-Amz-Expires=1`;
    server.script = ({ url }) => (url.includes('19700101') ? 'network' : undefined);
    const { opts, sleeps } = harness(server);
    await upload(opts, { file: fakeFile(30), contentType: 'image/png' });
    // Then one re-sign replaced them, without backoff
    expect(server.calls.filter((c) => c.op === 'sign')).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('treats another 403 as a refusal, without retrying', async () => {
    const server = new FakeServer();
    server.script = () => ({ status: 403, body: '<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>' });
    const err = await upload(harness(server).opts, { file: fakeFile(10), contentType: 'image/png' }).catch((e) => e);
    expect(err.kind).toBe('refused');
    expect(err.message).toBe('Access Denied');
    expect(server.attempts.get(1)).toBe(1);
  });

  it('pauses every part for Retry-After on 429 and 503', async () => {
    const server = new FakeServer();
    server.script = ({ number, attempt }) =>
      number === 1 && attempt === 1
        ? { status: 429, headers: { 'Retry-After': '7' } }
        : number === 2 && attempt === 1
          ? { status: 503, headers: { 'Retry-After': '3' } }
          : undefined;
    const { opts, sleeps } = harness(server, { parallel: 1 });
    await upload(opts, { file: fakeFile(30), contentType: 'image/png' });
    expect(sleeps).toEqual([7000, 3000]);
    expect(server.attempts.get(1)).toBe(2);
  });

  it('honours an HTTP-date Retry-After', async () => {
    const server = new FakeServer();
    let clock = Date.parse('2026-01-01T00:00:00Z');
    const sleeps: number[] = [];
    const { opts } = harness(server, {
      parallel: 1,
      now: () => clock,
      sleep: async (ms) => {
        sleeps.push(ms);
        clock += ms;
      },
    });
    server.script = ({ attempt }) => (attempt === 1 ? { status: 503, headers: { 'Retry-After': 'Thu, 01 Jan 2026 00:00:05 GMT' } } : undefined);
    await upload(opts, { file: fakeFile(10), contentType: 'image/png' });
    expect(sleeps).toEqual([5000]);
  });

  it('retries API calls with the same idempotency key', async () => {
    const server = new FakeServer();
    server.failCreate = [{ status: 503, retryAfterMs: 1500 }, { status: 500 }];
    const { opts, sleeps } = harness(server);
    await upload(opts, { file: fakeFile(10), contentType: 'image/png' });
    const creates = server.calls.filter((c) => c.op === 'create');
    expect(creates).toHaveLength(3);
    expect(new Set(creates.map((c) => c.args[1])).size).toBe(1);
    expect(sleeps).toEqual([1500, 100]);
  });

  it('resumes from the stored state, sending only parts the server lacks or stored at the wrong size', async () => {
    // Given an upload of 5 parts of which 1, 2, 4 are stored, 4 at the wrong size
    const server = new FakeServer();
    const file = fakeFile(50);
    const created = await server.api.create({ filename: file.name, content_type: 'image/png', size: 50 }, 'k');
    const u = server.uploads.get(created.id)!;
    u.parts.set(1, { etag: '"a"', size: 10 });
    u.parts.set(2, { etag: '"b"', size: 10 });
    u.parts.set(4, { etag: '"d"', size: 7 });
    const store = memoryStore();
    store.set(fileKey(file), { uploadId: created.id, partSize: 10, size: 50, filename: file.name, savedAt: 1 });
    server.calls = [];
    // When the same file is uploaded again
    const res = await upload({ ...harness(server).opts, store }, { file, contentType: 'image/png' });
    // Then only 3, 4, 5 are sent, with fresh URLs, and complete uses the stored ETags for 1 and 2
    expect(res.uploadId).toBe(created.id);
    expect(res.skippedParts).toEqual([1, 2]);
    expect(server.puts.map((p) => p.number).sort()).toEqual([3, 4, 5]);
    expect(server.calls.find((c) => c.op === 'sign')!.args[1]).toEqual([3, 4, 5]);
    const parts = server.calls.find((c) => c.op === 'complete')!.args[1] as Array<{ etag: string }>;
    expect(parts.slice(0, 2).map((p) => p.etag)).toEqual(['"a"', '"b"']);
    expect(server.calls.some((c) => c.op === 'create')).toBe(false);
    expect(store.get(fileKey(file))).toBeNull();
  });

  it('resumes an upload found on the server by id', async () => {
    const server = new FakeServer();
    const file = fakeFile(30);
    const created = await server.api.create({ filename: file.name, content_type: 'image/png', size: 30 }, 'k');
    server.uploads.get(created.id)!.parts.set(2, { etag: '"x"', size: 10 });
    const res = await upload(harness(server).opts, { file, contentType: 'image/png', resumeId: created.id });
    expect(res.skippedParts).toEqual([2]);
    expect(res.sentParts).toEqual([1, 3]);
  });

  it('starts over when the stored upload is gone', async () => {
    const server = new FakeServer();
    const file = fakeFile(20);
    const store = memoryStore();
    store.set(fileKey(file), { uploadId: 'gone', partSize: 10, size: 20, filename: file.name, savedAt: 1 });
    const res = await upload({ ...harness(server).opts, store }, { file, contentType: 'image/png' });
    expect(res.uploadId).not.toBe('gone');
    expect(res.sentParts).toEqual([1, 2]);
  });

  it('keeps the resume state while uploading and removes it when done', async () => {
    const server = new FakeServer();
    const file = fakeFile(20);
    const store = memoryStore();
    let seen: unknown = null;
    server.script = ({ number }) => {
      if (number === 2) seen = store.get(fileKey(file));
      return undefined;
    };
    await upload({ ...harness(server).opts, store, parallel: 1 }, { file, contentType: 'image/png', meta: { caption: 'hi' } });
    expect(seen).toMatchObject({ uploadId: 'U1', meta: { caption: 'hi' } });
    expect(store.list()).toEqual([]);
  });

  it('stops on abort and does not complete', async () => {
    const server = new FakeServer();
    const ctrl = new AbortController();
    server.script = ({ number }) => {
      if (number === 2) ctrl.abort();
      return undefined;
    };
    const err = await upload(harness(server).opts, { file: fakeFile(100), contentType: 'image/png', signal: ctrl.signal }).catch((e) => e);
    expect(err.name).toBe('AbortError');
    expect(server.calls.some((c) => c.op === 'complete')).toBe(false);
    expect(server.puts.length).toBeLessThan(10);
  });

  it('fails clearly when the ETag header cannot be read', async () => {
    const server = new FakeServer();
    server.script = () => ({ status: 200 });
    const err = await upload(harness(server).opts, { file: fakeFile(10), contentType: 'image/png' }).catch((e) => e);
    expect(err.kind).toBe('no_etag');
  });

  it('does not spend tries while offline, and waits for the network', async () => {
    const server = new FakeServer();
    let online = false;
    server.script = ({ attempt }) => (attempt <= 20 ? 'network' : undefined);
    const phases: string[] = [];
    const { opts } = harness(server, { isOnline: () => online, maxAttempts: 3, parallel: 1 });
    const sleep = opts.sleep!;
    let offlineWaits = 0;
    opts.sleep = async (ms, signal, wake) => {
      if (++offlineWaits === 20) online = true;
      return sleep(ms, signal, wake);
    };
    server.script = ({ attempt }) => (!online && attempt <= 30 ? 'network' : undefined);
    await upload(opts, { file: fakeFile(10), contentType: 'image/png', onProgress: (p) => phases.push(p.phase) });
    expect(phases).toContain('offline');
    expect(server.attempts.get(1)).toBe(21);
  });

  it('reports progress up to the whole size', async () => {
    const server = new FakeServer();
    const seen: number[] = [];
    await upload(harness(server).opts, { file: fakeFile(45), contentType: 'image/png', onProgress: (p) => seen.push(p.loaded) });
    expect(seen.at(-1)).toBe(45);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
  });
});

describe('isExpiredAnswer', () => {
  it('recognises S3 expiry only', () => {
    expect(isExpiredAnswer(403, '<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>')).toBe(true);
    expect(isExpiredAnswer(403, '<Error><Message>Access Denied</Message></Error>')).toBe(false);
    expect(isExpiredAnswer(400, '<Message>Request has expired</Message>')).toBe(false);
  });
});
