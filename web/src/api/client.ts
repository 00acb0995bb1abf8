//! The one typed API client: same-origin `/v1` calls with the bearer token, an `Idempotency-Key` on every
//! authenticated POST (kept across retries of the same logical request), and the one place that turns an
//! error answer into an `ApiError` whose message is the API's own.

import { parseRetryAfter } from '../upload/backoff';
import type {
  Comment, Limits, Link, LibraryImage, Page, Post, Tier, Token, UploadSummary, User,
} from './types';
import type { CreatedUpload, PartUrl, UploadApi, UploadInfo } from '../upload/uploader';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** What to show a person for any failure: the API's message, or a plain sentence for a network failure. */
export function errorMessage(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  if (e instanceof TypeError) return 'The network is unreachable. Check your connection and try again.';
  if (e instanceof Error) return e.message;
  return 'Something went wrong.';
}

type Query = Record<string, string | number | undefined | null>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  /** The same key for every retry of one logical request; a fresh uuid when omitted. */
  idempotencyKey?: string;
  signal?: AbortSignal;
}

const TOKEN_KEY = 'imagegram.token';

export class Client {
  private token: string | null;
  onUnauthorized: (() => void) | null = null;

  constructor(
    private readonly fetchImpl: typeof fetch = (...a) => fetch(...a),
    private readonly storage: Storage | null = typeof localStorage !== 'undefined' ? localStorage : null,
  ) {
    this.token = storage?.getItem(TOKEN_KEY) ?? null;
  }

  get signedIn(): boolean {
    return this.token !== null;
  }

  setToken(token: string | null) {
    this.token = token;
    if (token) this.storage?.setItem(TOKEN_KEY, token);
    else this.storage?.removeItem(TOKEN_KEY);
  }

  async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    if (method === 'POST' && this.token) headers['Idempotency-Key'] = opts.idempotencyKey ?? crypto.randomUUID();
    const qs = opts.query
      ? Object.entries(opts.query)
          .filter(([, v]) => v !== undefined && v !== null && v !== '')
          .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
          .join('&')
      : '';
    const res = await this.fetchImpl(qs ? `${path}?${qs}` : path, {
      method,
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      signal: opts.signal,
    });
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = null;
    }
    if (!res.ok) {
      const err = (json as { error?: { code?: string; message?: string } } | null)?.error;
      if (res.status === 401 && this.token && !path.startsWith('/v1/tokens')) this.onUnauthorized?.();
      throw new ApiError(
        res.status,
        err?.code ?? 'http_error',
        err?.message ?? `The server answered ${res.status}.`,
        parseRetryAfter(res.headers.get('Retry-After')),
      );
    }
    return json as T;
  }

  /** A POST retried on network errors, 5xx, 409 in use and 429, with one idempotency key for all tries. */
  async post<T>(path: string, body: unknown, tries = 3): Promise<T> {
    const idempotencyKey = crypto.randomUUID();
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.request<T>('POST', path, { body, idempotencyKey });
      } catch (e) {
        const status = e instanceof ApiError ? e.status : null;
        const again = e instanceof TypeError || status === 409 || status === 429 || (status !== null && status >= 500);
        if (!again || attempt + 1 >= tries || (status === 409 && e instanceof ApiError && e.code !== 'idempotency_key_in_use')) throw e;
        const wait = (e instanceof ApiError ? e.retryAfterMs : null) ?? Math.random() * 500 * 2 ** attempt;
        // A quota that frees up in minutes or hours (uploads_in_flight, upload_quota): say so now.
        if (status === 429 && wait > 10_000) throw e;
        await new Promise((r) => setTimeout(r, Math.min(wait, 10_000)));
      }
    }
  }

  // Accounts
  signUp(username: string, password: string) {
    return this.request<User>('POST', '/v1/users', { body: { username, password } });
  }
  async logIn(username: string, password: string) {
    const t = await this.request<Token>('POST', '/v1/tokens', { body: { username, password } });
    this.setToken(t.access_token);
    return t;
  }
  me() {
    return this.request<User>('GET', '/v1/users/me');
  }
  limits() {
    return this.request<Limits>('GET', '/v1/limits');
  }

  // Posts and comments
  posts(q: { sort?: string; author?: string; cursor?: string | null; limit?: number }) {
    return this.request<Page<Post>>('GET', '/v1/posts', { query: q });
  }
  getPost(id: string) {
    return this.request<Post>('GET', `/v1/posts/${encodeURIComponent(id)}`);
  }
  createPost(body: { upload_id: string; caption: string; alt_text: string }) {
    return this.post<Post>('/v1/posts', body);
  }
  deletePost(id: string) {
    return this.request<void>('DELETE', `/v1/posts/${encodeURIComponent(id)}`);
  }
  comments(postId: string, cursor?: string | null) {
    return this.request<Page<Comment>>('GET', `/v1/posts/${encodeURIComponent(postId)}/comments`, { query: { cursor } });
  }
  addComment(postId: string, text: string) {
    return this.post<Comment>(`/v1/posts/${encodeURIComponent(postId)}/comments`, { text });
  }
  deleteComment(postId: string, commentId: string) {
    return this.request<void>('DELETE', `/v1/posts/${encodeURIComponent(postId)}/comments/${encodeURIComponent(commentId)}`);
  }

  // Library
  images(q: { title?: string; cursor?: string | null }) {
    return this.request<Page<LibraryImage>>('GET', '/v1/images', { query: q });
  }
  image(id: string) {
    return this.request<LibraryImage>('GET', `/v1/images/${encodeURIComponent(id)}`);
  }
  createImage(body: { upload_id: string; title: string; alt_text?: string; width?: number; height?: number }) {
    return this.post<LibraryImage>('/v1/images', body);
  }
  createLink(id: string, expiresIn: number) {
    return this.post<Link>(`/v1/images/${encodeURIComponent(id)}/links`, { expires_in: expiresIn });
  }

  // Uploads
  openUploads() {
    return this.request<Page<UploadSummary>>('GET', '/v1/uploads', { query: { status: 'uploading' } });
  }
  abortUpload(id: string) {
    return this.request<void>('DELETE', `/v1/uploads/${encodeURIComponent(id)}`);
  }
  /** The uploader's view of the uploads API; it retries itself, so these calls try once. */
  uploadApi(): UploadApi {
    return {
      create: (body, idempotencyKey) => this.request<CreatedUpload>('POST', '/v1/uploads', { body, idempotencyKey }),
      get: (id) => this.request<UploadInfo>('GET', `/v1/uploads/${encodeURIComponent(id)}`),
      sign: async (id, numbers, idempotencyKey) =>
        (await this.request<{ parts: PartUrl[] }>('POST', `/v1/uploads/${encodeURIComponent(id)}/parts`, { body: { numbers }, idempotencyKey })).parts,
      complete: (id, parts, idempotencyKey) =>
        this.request('POST', `/v1/uploads/${encodeURIComponent(id)}/complete`, { body: { parts }, idempotencyKey }),
    };
  }

  // Administration
  tiers() {
    return this.request<Page<Tier>>('GET', '/v1/admin/tiers', { query: { limit: 100 } });
  }
  createTier(t: Tier) {
    return this.post<Tier>('/v1/admin/tiers', t);
  }
  updateTier(t: Tier) {
    return this.request<Tier>('PUT', `/v1/admin/tiers/${encodeURIComponent(t.name)}`, { body: t });
  }
  deleteTier(name: string) {
    return this.request<void>('DELETE', `/v1/admin/tiers/${encodeURIComponent(name)}`);
  }
  users(cursor?: string | null) {
    return this.request<Page<User>>('GET', '/v1/admin/users', { query: { cursor, limit: 100 } });
  }
  createUser(body: { username: string; password: string; tier?: string; role?: string }) {
    return this.post<User>('/v1/admin/users', body);
  }
  updateUser(username: string, changes: { tier?: string; role?: string; password?: string }) {
    return this.request<User>('PATCH', `/v1/admin/users/${encodeURIComponent(username)}`, { body: changes });
  }
}

export const client = new Client();
