//! The uploader's vocabulary: what it needs from the API, what it takes and what it reports.

import type { BackoffOptions, Sleep } from './backoff';
import type { ResumeStore } from './resumeStore';
import type { PartTransport } from './transport';

export interface PartUrl {
  number: number;
  url: string;
}

export interface CreatedUpload {
  id: string;
  part_size: number;
  parts: PartUrl[];
  expires_at: string;
}

export interface UploadInfo {
  id: string;
  status: 'uploading' | 'uploaded' | 'aborted';
  size: number;
  part_size: number;
  parts_received: Array<{ number: number; etag: string; size: number }>;
}

/** The four API calls the uploader needs. Errors carry `status` (HTTP) and `retryAfterMs` when the API gave one. */
export interface UploadApi {
  create(body: { filename: string; content_type: string; size: number }, idempotencyKey: string): Promise<CreatedUpload>;
  get(id: string): Promise<UploadInfo>;
  sign(id: string, numbers: number[], idempotencyKey: string): Promise<PartUrl[]>;
  complete(id: string, parts: Array<{ number: number; etag: string }>, idempotencyKey: string): Promise<unknown>;
}

export interface UploadFile extends Blob {
  readonly name: string;
  readonly lastModified: number;
}

export type Phase = 'preparing' | 'uploading' | 'retrying' | 'paused' | 'offline' | 'completing' | 'done';

export interface Progress {
  phase: Phase;
  loaded: number;
  total: number;
  partsDone: number;
  partsTotal: number;
  /** Bytes per second over the last few seconds (0 until measured). */
  bytesPerSecond: number;
  uploadId?: string;
}

export interface UploaderOptions {
  api: UploadApi;
  transport?: PartTransport;
  /** Parts in flight at once (default 4). */
  parallel?: number;
  /** Tries per part (and per API call) before the upload fails (default 8). */
  maxAttempts?: number;
  /** Re-signs per part before an "expired" answer counts as a refusal (default 5). */
  maxResigns?: number;
  backoff?: BackoffOptions;
  random?: () => number;
  sleep?: Sleep;
  now?: () => number;
  uuid?: () => string;
  store?: ResumeStore;
  /** Fires `online` when the network comes back (default: window). */
  onlineTarget?: EventTarget | null;
  isOnline?: () => boolean;
}

export interface UploadInput {
  file: UploadFile;
  contentType: string;
  /** Resume this server upload (found through `GET /v1/uploads?status=uploading`) instead of the stored state. */
  resumeId?: string;
  meta?: Record<string, unknown>;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

export interface UploadResult {
  uploadId: string;
  /** Part numbers that were already stored and not sent again. */
  skippedParts: number[];
  /** Part numbers sent by this run. */
  sentParts: number[];
}

export type UploadErrorKind = 'network' | 'refused' | 'no_etag' | 'api';

export class UploadError extends Error {
  constructor(
    readonly kind: UploadErrorKind,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'UploadError';
  }
}
