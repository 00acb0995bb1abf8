//! The multipart uploader: sends a file's parts straight to their presigned URLs, several at once, each retried
//! with full-jitter backoff, expired URLs re-signed, 429/503 answered by pausing for Retry-After, and an upload
//! interrupted by a reload resumed from the parts the server already stored. Framework-free; the app wires it
//! to the API client (`api/uploads.ts`), tests to fakes.

import { abortError, defaultBackoff, fullJitter, isAbortError, parseRetryAfter, sleep as realSleep } from './backoff';
import { fileKey } from './resumeStore';
import { xhrTransport } from './transport';
import { UploadError } from './types';
import type { UploadErrorKind, UploadInput, UploaderOptions, UploadResult, Phase } from './types';

export * from './types';

/** S3 (and the embedded object endpoint) refuse an expired presigned URL with 403 and this XML message. */
export function isExpiredAnswer(status: number, body: string): boolean {
  return status === 403 && /<Message>\s*Request has expired\s*<\/Message>/i.test(body);
}

/**
 * When a SigV4 presigned URL stops working (X-Amz-Date + X-Amz-Expires), or null if it does not say.
 * Used only after a network failure: an object endpoint that refuses an expired URL before reading the body
 * and closes the connection leaves the browser with a network error instead of the 403.
 */
export function presignedExpiry(url: string): number | null {
  try {
    const q = new URL(url).searchParams;
    const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(q.get('X-Amz-Date') ?? '');
    const ttl = Number(q.get('X-Amz-Expires'));
    if (!m || !Number.isFinite(ttl) || !q.get('X-Amz-Expires')) return null;
    const [, y, mo, d, h, mi, se] = m.map(Number);
    return Date.UTC(y, mo - 1, d, h, mi, se) + ttl * 1000;
  } catch {
    return null;
  }
}

function xmlMessage(body: string): string | null {
  return /<Message>([^<]*)<\/Message>/i.exec(body)?.[1]?.trim() || null;
}

function errorStatus(e: unknown): number | undefined {
  const s = (e as { status?: unknown } | null)?.status;
  return typeof s === 'number' ? s : undefined;
}

function retryable(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/** Expected byte count of part `n` (1-based). */
export function partLength(n: number, partSize: number, size: number): number {
  return Math.max(0, Math.min(partSize, size - (n - 1) * partSize));
}

export async function upload(options: UploaderOptions, input: UploadInput): Promise<UploadResult> {
  const {
    api,
    transport = xhrTransport(),
    parallel = 4,
    maxAttempts = 8,
    maxResigns = 5,
    backoff = defaultBackoff,
    random = Math.random,
    sleep = realSleep,
    now = Date.now,
    uuid = () => crypto.randomUUID(),
    store,
  } = options;
  const onlineTarget = options.onlineTarget !== undefined ? options.onlineTarget : typeof window !== 'undefined' ? window : null;
  const isOnline = options.isOnline ?? (() => (typeof navigator === 'undefined' ? true : navigator.onLine !== false));
  const { file } = input;
  const key = fileKey(file);

  // One controller for the whole run: the caller's abort and our own first fatal error both stop every part.
  const ctrl = new AbortController();
  const onOuterAbort = () => ctrl.abort();
  if (input.signal?.aborted) throw abortError();
  input.signal?.addEventListener('abort', onOuterAbort);
  const signal = ctrl.signal;

  let phase: Phase = 'preparing';
  let uploadId: string | undefined;
  let partSize = 0;
  let partsTotal = 0;
  const done = new Map<number, string>();
  const inflight = new Map<number, number>();
  const urls = new Map<number, string>();
  let doneBytes = 0;
  const samples: Array<[number, number]> = [];
  let sentThisRun = 0;
  let pausedUntil = 0;

  const emit = () => {
    let loaded = doneBytes;
    let live = sentThisRun;
    for (const v of inflight.values()) {
      loaded += v;
      live += v;
    }
    const t = now();
    samples.push([t, live]);
    while (samples.length > 2 && t - samples[0][0] > 3000) samples.shift();
    const [t0, b0] = samples[0];
    const bytesPerSecond = t - t0 >= 250 ? Math.max(0, ((live - b0) * 1000) / (t - t0)) : 0;
    input.onProgress?.({ phase, loaded: Math.min(loaded, file.size), total: file.size, partsDone: done.size, partsTotal, bytesPerSecond, uploadId });
  };
  const setPhase = (p: Phase) => {
    phase = p;
    emit();
  };

  /** Runs an API call with the same idempotency key on every try, retrying network errors, 5xx, 409 in use and 429. */
  async function callApi<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (e) {
        if (isAbortError(e) || signal.aborted) throw abortError();
        const status = errorStatus(e);
        const network = e instanceof TypeError;
        if ((!network && (status === undefined || !retryable(status))) || attempt + 1 >= maxAttempts) throw e;
        if (network && !isOnline()) {
          setPhase('offline');
          attempt--;
        }
        const ra = (e as { retryAfterMs?: number | null }).retryAfterMs;
        await sleep(ra ?? fullJitter(attempt, backoff, random), signal, onlineTarget);
      }
    }
  }

  async function start(): Promise<number[]> {
    const stored = input.resumeId
      ? { uploadId: input.resumeId }
      : store?.get(key) ?? null;
    if (stored) {
      try {
        const info = await callApi(() => api.get(stored.uploadId));
        if (info.status === 'uploading' && info.size === file.size) {
          uploadId = info.id;
          partSize = info.part_size;
          partsTotal = Math.ceil(file.size / partSize);
          for (const p of info.parts_received) {
            // Only a part whose stored size is what this file's part would be counts as done.
            if (p.number <= partsTotal && p.size === partLength(p.number, partSize, file.size)) {
              done.set(p.number, p.etag);
              doneBytes += p.size;
            }
          }
          const missing = range(partsTotal).filter((n) => !done.has(n));
          if (missing.length) {
            const signKey = uuid();
            const fresh = await callApi(() => api.sign(info.id, missing, signKey));
            for (const p of fresh) urls.set(p.number, p.url);
          }
          saveState();
          return missing;
        }
      } catch (e) {
        if (isAbortError(e)) throw e;
        if (errorStatus(e) !== 404) throw e;
      }
      store?.delete(key);
    }
    const createKey = uuid();
    const created = await callApi(() =>
      api.create({ filename: file.name || 'image', content_type: input.contentType, size: file.size }, createKey),
    );
    uploadId = created.id;
    partSize = created.part_size;
    partsTotal = Math.ceil(file.size / partSize);
    for (const p of created.parts) urls.set(p.number, p.url);
    saveState();
    return range(partsTotal);
  }

  function saveState() {
    if (!uploadId) return;
    store?.set(key, { uploadId, partSize, size: file.size, filename: file.name, meta: input.meta, savedAt: now() });
  }

  let signing: Promise<void> | null = null;
  /** Re-signs every unfinished part at once (their URLs were made together, so they expire together). */
  async function resign(used: string) {
    for (;;) {
      if (signing) {
        await signing;
        continue;
      }
      // Another part's re-sign may already have replaced this URL.
      if (![...urls.values()].includes(used)) return;
      const numbers = range(partsTotal).filter((n) => !done.has(n));
      const signKey = uuid();
      signing = callApi(() => api.sign(uploadId!, numbers, signKey))
        .then((fresh) => {
          for (const p of fresh) urls.set(p.number, p.url);
        })
        .finally(() => {
          signing = null;
        });
      await signing;
      return;
    }
  }

  async function waitWhilePaused() {
    while (pausedUntil > now()) {
      setPhase('paused');
      await sleep(pausedUntil - now(), signal);
    }
    if (phase === 'paused' || phase === 'offline' || phase === 'retrying') setPhase('uploading');
  }

  async function sendPart(n: number) {
    const start = (n - 1) * partSize;
    const body = file.slice(start, start + partLength(n, partSize, file.size));
    let attempts = 0;
    let resigns = 0;
    const fail = (kind: UploadErrorKind, msg: string, status?: number) => {
      throw new UploadError(kind, msg, status);
    };
    for (;;) {
      await waitWhilePaused();
      const url = urls.get(n);
      if (!url) fail('api', `no URL for part ${n}`);
      let res;
      try {
        res = await transport({
          url: url!,
          body,
          signal,
          onProgress: (sent) => {
            // Bytes handed to the socket are not yet stored: keep a sent part below 100% until it is answered.
            inflight.set(n, Math.min(sent, Math.floor(body.size * 0.99)));
            emit();
          },
        });
      } catch (e) {
        inflight.delete(n);
        if (isAbortError(e) || signal.aborted) throw abortError();
        const expiry = presignedExpiry(url!);
        if (expiry !== null && now() >= expiry) {
          // The URL has expired by our clock: the failure was most likely the refusal, so re-sign.
          if (++resigns > maxResigns) fail('refused', `Part ${n}: its upload URL keeps expiring`, 403);
          await resign(url!);
          continue;
        }
        if (!isOnline()) {
          // Offline: wait for the `online` event (or the longest backoff) without spending a try.
          setPhase('offline');
          await sleep(backoff.capMs, signal, onlineTarget);
          continue;
        }
        if (++attempts >= maxAttempts) fail('network', `Part ${n} could not be sent: the network failed ${attempts} times`);
        setPhase('retrying');
        await sleep(fullJitter(attempts - 1, backoff, random), signal, onlineTarget);
        continue;
      }
      inflight.delete(n);
      if (res.status >= 200 && res.status < 300) {
        const etag = res.header('ETag');
        if (!etag) fail('no_etag', 'The storage answer had no readable ETag (CORS must expose it)');
        done.set(n, etag!);
        doneBytes += body.size;
        sentThisRun += body.size;
        emit();
        return;
      }
      if (isExpiredAnswer(res.status, res.text)) {
        if (++resigns > maxResigns) fail('refused', `Part ${n}: its upload URL keeps expiring`, 403);
        await resign(url!);
        continue;
      }
      if (res.status === 429 || res.status === 503) {
        if (++attempts >= maxAttempts) fail('refused', `Part ${n}: storage is busy (${res.status})`, res.status);
        const wait = parseRetryAfter(res.header('Retry-After'), now()) ?? fullJitter(attempts - 1, backoff, random);
        pausedUntil = Math.max(pausedUntil, now() + wait);
        continue;
      }
      if (retryable(res.status)) {
        if (++attempts >= maxAttempts) fail('refused', `Part ${n}: storage failed (${res.status})`, res.status);
        await sleep(fullJitter(attempts - 1, backoff, random), signal, onlineTarget);
        continue;
      }
      fail('refused', xmlMessage(res.text) ?? `Part ${n} was refused (${res.status})`, res.status);
    }
  }

  try {
    emit();
    const missing = await start();
    const skippedParts = range(partsTotal).filter((n) => done.has(n));
    setPhase('uploading');
    const queue = [...missing];
    const worker = async () => {
      while (queue.length && !signal.aborted) await sendPart(queue.shift()!);
    };
    try {
      await Promise.all(Array.from({ length: Math.min(parallel, queue.length) }, worker));
    } catch (e) {
      ctrl.abort();
      throw e;
    }
    setPhase('completing');
    const parts = range(partsTotal).map((number) => ({ number, etag: done.get(number)! }));
    await callApi(() => api.complete(uploadId!, parts, `complete-${uploadId}`));
    store?.delete(key);
    setPhase('done');
    return { uploadId: uploadId!, skippedParts, sentParts: missing };
  } catch (e) {
    if (signal.aborted && !isAbortError(e) && input.signal?.aborted) throw abortError();
    throw e;
  } finally {
    input.signal?.removeEventListener('abort', onOuterAbort);
  }
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1);
}
