//! React state around one run of the uploader: progress, cancel, and the open uploads a reload left behind
//! (from this browser's stored state and from `GET /v1/uploads?status=uploading`).

import { useCallback, useEffect, useRef, useState } from 'react';
import { useSession } from '../auth/session';
import { upload, type Progress, type UploadFile } from '../upload/uploader';
import { fileKey, localStorageStore, type ResumeState } from '../upload/resumeStore';
import type { UploadSummary } from '../api/types';
import { isAbortError } from '../upload/backoff';

export const resumeStore = typeof localStorage !== 'undefined' ? localStorageStore() : undefined;

export function contentTypeOf(file: File): string {
  if (file.type) return file.type;
  const ext = file.name.toLowerCase().split('.').pop();
  return ext === 'png' ? 'image/png' : ext === 'bmp' ? 'image/bmp' : 'image/jpeg';
}

export function useUpload() {
  const { client } = useSession();
  const [progress, setProgress] = useState<Progress | null>(null);
  const ctrl = useRef<AbortController | null>(null);
  const current = useRef<{ key: string; uploadId?: string } | null>(null);

  useEffect(() => () => ctrl.current?.abort(), []);

  const start = useCallback(
    async (file: File, meta: Record<string, unknown>, resumeId?: string): Promise<string> => {
      ctrl.current?.abort();
      const c = new AbortController();
      ctrl.current = c;
      current.current = { key: fileKey(file) };
      setProgress({ phase: 'preparing', loaded: 0, total: file.size, partsDone: 0, partsTotal: 0, bytesPerSecond: 0 });
      const onProgress = (p: Progress) => {
        if (current.current) current.current.uploadId = p.uploadId;
        setProgress(p);
      };
      try {
        const res = await upload(
          { api: client.uploadApi(), store: resumeStore },
          { file: file as UploadFile, contentType: contentTypeOf(file), meta, resumeId, signal: c.signal, onProgress },
        );
        return res.uploadId;
      } catch (e) {
        setProgress(null);
        throw e;
      }
    },
    [client],
  );

  /** Cancel means "I do not want this upload": it is aborted on the server too, so it is not offered for resuming. */
  const cancel = useCallback(() => {
    ctrl.current?.abort();
    setProgress(null);
    const c = current.current;
    current.current = null;
    if (c) resumeStore?.delete(c.key);
    if (c?.uploadId) void client.abortUpload(c.uploadId).catch(() => undefined);
  }, [client]);

  return { progress, start, cancel, reset: () => setProgress(null) };
}

export { isAbortError };

export interface OpenUpload {
  id: string;
  filename: string;
  size: number;
  partsStored: number;
  partsTotal: number;
  meta?: Record<string, unknown>;
  storeKey?: string;
}

/** Uploads left open by a reload or a closed tab, with what they were for when this browser remembers it. */
export function useOpenUploads(purpose: string) {
  const { client } = useSession();
  const [items, setItems] = useState<OpenUpload[]>([]);
  const load = useCallback(async () => {
    const local = resumeStore?.list() ?? [];
    const byId = new Map<string, { key: string; state: ResumeState }>(local.map((l) => [l.state.uploadId, l]));
    let server: UploadSummary[] = [];
    let known = true;
    try {
      server = (await client.openUploads()).items;
    } catch {
      known = false;
    }
    const out: OpenUpload[] = [];
    for (const u of server) {
      const l = byId.get(u.id);
      const p = l?.state.meta?.purpose;
      // Keep uploads that belong here; ones no browser state remembers are offered on the post screen.
      if (p ? p !== purpose : purpose !== 'post') continue;
      out.push({
        id: u.id,
        filename: u.filename,
        size: u.size,
        partsStored: u.parts_received_count,
        partsTotal: Math.ceil(u.size / u.part_size),
        meta: l?.state.meta,
        storeKey: l?.key,
      });
    }
    // Stored states whose upload the server no longer has open are stale.
    const open = new Set(server.map((u) => u.id));
    for (const l of local) if (known && !open.has(l.state.uploadId)) resumeStore?.delete(l.key);
    setItems(out);
  }, [client, purpose]);
  useEffect(() => {
    void load();
  }, [load]);
  const discard = useCallback(
    async (u: OpenUpload) => {
      try {
        await client.abortUpload(u.id);
      } finally {
        if (u.storeKey) resumeStore?.delete(u.storeKey);
        await load();
      }
    },
    [client, load],
  );
  return { items, reload: load, discard };
}
