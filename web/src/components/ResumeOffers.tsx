//! Offers to resume uploads a reload or closed tab left open: the browser cannot reopen the file, so the person
//! picks the same file again and only the missing parts are sent.

import { useState } from 'react';
import type { OpenUpload } from '../hooks/useUpload';
import { ACCEPT } from './FilePicker';
import { bytes, plural } from '../format';

export function ResumeOffers({ items, onResume, onDiscard, disabled }: {
  items: OpenUpload[];
  onResume: (u: OpenUpload, file: File) => void;
  onDiscard: (u: OpenUpload) => void;
  disabled?: boolean;
}) {
  const [mismatch, setMismatch] = useState<string | null>(null);
  if (!items.length) return null;
  return (
    <section className="card resume" aria-labelledby="resume-title">
      <h2 id="resume-title">Unfinished uploads</h2>
      {mismatch && (
        <p className="error" role="alert">
          {mismatch}
        </p>
      )}
      <ul className="plain">
        {items.map((u) => (
          <li key={u.id} className="resume-item">
            <p>
              <strong>{u.filename}</strong> ({bytes(u.size)}): {plural(u.partsStored, 'part')} of {u.partsTotal} stored.
              Pick the same file again to resume.
            </p>
            <div className="row">
              <label className="button-like">
                Pick {u.filename} again to resume
                <input
                  type="file"
                  accept={ACCEPT}
                  className="visually-hidden"
                  disabled={disabled}
                  onChange={(e) => {
                    const f = e.target.files?.[0];
                    e.target.value = '';
                    if (!f) return;
                    if (f.size !== u.size) {
                      setMismatch(`That file is not ${u.filename}: its size differs.`);
                      return;
                    }
                    setMismatch(null);
                    onResume(u, f);
                  }}
                />
              </label>
              <button type="button" className="secondary" disabled={disabled} onClick={() => onDiscard(u)}>
                Discard
              </button>
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}
