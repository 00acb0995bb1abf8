//! Posting an image: pick or drop it, preview, caption and alt text, then the multipart upload and the post.

import { useState, type FormEvent } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { useLocation } from 'wouter';
import { useSession } from '../auth/session';
import { ErrorMessage } from '../components/ErrorMessage';
import { FilePicker } from '../components/FilePicker';
import { ResumeOffers } from '../components/ResumeOffers';
import { UploadProgress } from '../components/UploadProgress';
import { isAbortError, useOpenUploads, useUpload, type OpenUpload } from '../hooks/useUpload';

export function NewPostPage() {
  const { client } = useSession();
  const qc = useQueryClient();
  const [, navigate] = useLocation();
  const [file, setFile] = useState<File | null>(null);
  const [caption, setCaption] = useState('');
  const [alt, setAlt] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const up = useUpload();
  const open = useOpenUploads('post');

  const run = async (f: File, meta: { caption: string; alt_text: string }, resumeId?: string) => {
    setBusy(true);
    setError(null);
    try {
      const uploadId = await up.start(f, { purpose: 'post', ...meta }, resumeId);
      const post = await client.createPost({ upload_id: uploadId, caption: meta.caption, alt_text: meta.alt_text });
      void qc.invalidateQueries({ queryKey: ['posts'] });
      navigate(`/posts/${post.id}`);
    } catch (e) {
      if (!isAbortError(e)) setError(e);
      void open.reload();
    } finally {
      setBusy(false);
    }
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!file) return setError(new Error('Choose an image to post.'));
    void run(file, { caption, alt_text: alt });
  };
  const resume = (u: OpenUpload, f: File) => {
    const c = typeof u.meta?.caption === 'string' ? u.meta.caption : caption;
    const a = typeof u.meta?.alt_text === 'string' ? u.meta.alt_text : alt;
    setFile(f);
    setCaption(c);
    setAlt(a);
    void run(f, { caption: c, alt_text: a }, u.id);
  };
  return (
    <main className="narrow">
      <h1>New post</h1>
      <ResumeOffers items={busy ? [] : open.items} onResume={resume} onDiscard={(u) => void open.discard(u)} disabled={busy} />
      <form className="card form" onSubmit={submit}>
        <FilePicker file={file} onFile={setFile} disabled={busy} />
        <label htmlFor="caption">Caption</label>
        <textarea id="caption" rows={3} maxLength={2200} value={caption} onChange={(e) => setCaption(e.target.value)} disabled={busy} />
        <label htmlFor="alt">Alt text</label>
        <textarea id="alt" rows={2} maxLength={1500} value={alt} onChange={(e) => setAlt(e.target.value)} disabled={busy} aria-describedby="alt-hint" />
        <p className="hint" id="alt-hint">Describe the picture for people who cannot see it.</p>
        {up.progress && <UploadProgress progress={up.progress} onCancel={up.cancel} />}
        <ErrorMessage error={error} />
        <button type="submit" disabled={busy}>
          {busy ? 'Posting…' : 'Post'}
        </button>
      </form>
    </main>
  );
}
