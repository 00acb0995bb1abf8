//! Where an upload's resume state lives between page loads: keyed by file name + size + lastModified,
//! because a browser cannot reopen a file and the user has to pick it again.

export interface ResumeState {
  uploadId: string;
  partSize: number;
  size: number;
  filename: string;
  /** What the upload was for (post caption, library title...), so a resumed upload finishes the same way. */
  meta?: Record<string, unknown>;
  savedAt: number;
}

export interface ResumeStore {
  get(key: string): ResumeState | null;
  set(key: string, state: ResumeState): void;
  delete(key: string): void;
  /** Every saved state, newest first. */
  list(): Array<{ key: string; state: ResumeState }>;
}

export interface FileIdentity {
  name: string;
  size: number;
  lastModified: number;
}

export function fileKey(f: FileIdentity): string {
  return `${f.name}\u0000${f.size}\u0000${f.lastModified}`;
}

const PREFIX = 'imagegram.upload.';

export function localStorageStore(storage: Storage = window.localStorage): ResumeStore {
  return {
    get(key) {
      try {
        const raw = storage.getItem(PREFIX + key);
        return raw ? (JSON.parse(raw) as ResumeState) : null;
      } catch {
        return null;
      }
    },
    set(key, state) {
      try {
        storage.setItem(PREFIX + key, JSON.stringify(state));
      } catch {
        // Storage full or disabled: resuming then falls back to the server's list of open uploads.
      }
    },
    delete(key) {
      storage.removeItem(PREFIX + key);
    },
    list() {
      const out: Array<{ key: string; state: ResumeState }> = [];
      for (let i = 0; i < storage.length; i++) {
        const k = storage.key(i);
        if (!k?.startsWith(PREFIX)) continue;
        const state = this.get(k.slice(PREFIX.length));
        if (state) out.push({ key: k.slice(PREFIX.length), state });
      }
      return out.sort((a, b) => b.state.savedAt - a.state.savedAt);
    },
  };
}

export function memoryStore(): ResumeStore {
  const m = new Map<string, ResumeState>();
  return {
    get: (k) => m.get(k) ?? null,
    set: (k, s) => void m.set(k, s),
    delete: (k) => void m.delete(k),
    list: () => [...m].map(([key, state]) => ({ key, state })).sort((a, b) => b.state.savedAt - a.state.savedAt),
  };
}
