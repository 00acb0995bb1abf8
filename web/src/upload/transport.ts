//! How a part's bytes reach its presigned URL: `fetch` (simple, used by tests with a fake fetch) or
//! XMLHttpRequest (the browser default, because only XHR reports upload progress).

export interface PartResponse {
  status: number;
  /** Reads a response header (the object endpoint exposes `ETag` through CORS). */
  header(name: string): string | null;
  /** The body as text (S3-style XML on errors). */
  text: string;
}

export interface PartRequest {
  url: string;
  body: Blob;
  signal: AbortSignal;
  /** Bytes of this part sent so far. */
  onProgress?: (sent: number) => void;
}

/** Sends one part. Resolves with any HTTP answer; rejects with a TypeError on a network failure, AbortError on abort. */
export type PartTransport = (req: PartRequest) => Promise<PartResponse>;

export function fetchTransport(fetchImpl: typeof fetch = fetch): PartTransport {
  return async ({ url, body, signal, onProgress }) => {
    const res = await fetchImpl(url, { method: 'PUT', body, signal });
    const text = await res.text();
    if (res.ok) onProgress?.(body.size);
    return { status: res.status, header: (n) => res.headers.get(n), text };
  };
}

export function xhrTransport(): PartTransport {
  return ({ url, body, signal, onProgress }) =>
    new Promise<PartResponse>((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('PUT', url);
      xhr.upload.onprogress = (e) => onProgress?.(e.loaded);
      xhr.onload = () =>
        resolve({ status: xhr.status, header: (n) => xhr.getResponseHeader(n), text: xhr.responseText });
      xhr.onerror = () => reject(new TypeError('network error'));
      xhr.ontimeout = () => reject(new TypeError('network timeout'));
      xhr.onabort = () => reject(new DOMException('The upload was cancelled', 'AbortError'));
      if (signal.aborted) return reject(new DOMException('The upload was cancelled', 'AbortError'));
      signal.addEventListener('abort', () => xhr.abort(), { once: true });
      xhr.send(body);
    });
}
