//! My images: upload to the library (title, optional size), search by title, thumbnails as the tier gives
//! them, the original link and expiring links where the tier allows.

import { useState, type FormEvent } from 'react';
import { useInfiniteQuery, useQuery, useQueryClient } from '@tanstack/react-query';
import { useSession } from '../auth/session';
import { ApiError } from '../api/client';
import type { LibraryImage, Link as ImageLink, Tier } from '../api/types';
import { ErrorMessage } from '../components/ErrorMessage';
import { FilePicker } from '../components/FilePicker';
import { Picture } from '../components/Picture';
import { ResumeOffers } from '../components/ResumeOffers';
import { UploadProgress } from '../components/UploadProgress';
import { isAbortError, useOpenUploads, useUpload, type OpenUpload } from '../hooks/useUpload';
import { dateTime } from '../format';

/** The caller's tier as `GET /v1/limits` tells it; null when the server has no such route. */
export function useTier() {
  const { client, user } = useSession();
  return useQuery({
    queryKey: ['limits', user?.tier],
    queryFn: async (): Promise<Tier | null> => {
      try {
        return (await client.limits()).tier ?? null;
      } catch (e) {
        if (e instanceof ApiError && e.status === 404) return null;
        throw e;
      }
    },
  });
}

function UploadForm() {
  const { client } = useSession();
  const qc = useQueryClient();
  const [file, setFile] = useState<File | null>(null);
  const [title, setTitle] = useState('');
  const [width, setWidth] = useState('');
  const [height, setHeight] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const up = useUpload();
  const open = useOpenUploads('image');
  const run = async (f: File, meta: { title: string; width?: number; height?: number }, resumeId?: string) => {
    setBusy(true);
    setError(null);
    try {
      const uploadId = await up.start(f, { purpose: 'image', ...meta }, resumeId);
      await client.createImage({ upload_id: uploadId, ...meta });
      up.reset();
      setFile(null);
      setTitle('');
      void qc.invalidateQueries({ queryKey: ['images'] });
    } catch (e) {
      if (!isAbortError(e)) setError(e);
      void open.reload();
    } finally {
      setBusy(false);
    }
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!file) return setError(new Error('Choose an image to upload.'));
    const w = width ? Number(width) : undefined;
    const h = height ? Number(height) : undefined;
    if ((w === undefined) !== (h === undefined)) return setError(new Error('Give both width and height, or neither.'));
    void run(file, { title: title.trim() || file.name, width: w, height: h });
  };
  const resume = (u: OpenUpload, f: File) => {
    const m = u.meta ?? {};
    void run(f, {
      title: typeof m.title === 'string' ? m.title : f.name,
      width: typeof m.width === 'number' ? m.width : undefined,
      height: typeof m.height === 'number' ? m.height : undefined,
    }, u.id);
  };
  return (
    <>
      <ResumeOffers items={busy ? [] : open.items} onResume={resume} onDiscard={(u) => void open.discard(u)} disabled={busy} />
      <form className="card form" onSubmit={submit} aria-labelledby="upload-title">
        <h2 id="upload-title">Add an image</h2>
        <FilePicker file={file} onFile={setFile} disabled={busy} />
        <label htmlFor="img-title">Title</label>
        <input id="img-title" value={title} maxLength={200} onChange={(e) => setTitle(e.target.value)} disabled={busy} />
        <fieldset className="size">
          <legend>Size (optional)</legend>
          <label htmlFor="img-w">Width</label>
          <input id="img-w" type="number" min={1} max={4096} inputMode="numeric" value={width} onChange={(e) => setWidth(e.target.value)} disabled={busy} />
          <label htmlFor="img-h">Height</label>
          <input id="img-h" type="number" min={1} max={4096} inputMode="numeric" value={height} onChange={(e) => setHeight(e.target.value)} disabled={busy} />
        </fieldset>
        {up.progress && <UploadProgress progress={up.progress} onCancel={up.cancel} />}
        <ErrorMessage error={error} />
        <button type="submit" disabled={busy}>{busy ? 'Uploading…' : 'Upload'}</button>
      </form>
    </>
  );
}

function ExpiringLink({ image }: { image: LibraryImage }) {
  const { client } = useSession();
  const [seconds, setSeconds] = useState('3600');
  const [link, setLink] = useState<ImageLink | null>(null);
  const [error, setError] = useState<unknown>(null);
  const make = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      setLink(await client.createLink(image.id, Number(seconds)));
    } catch (err) {
      setError(err);
    }
  };
  return (
    <details className="link-box">
      <summary>Expiring link</summary>
      <form className="link-form" onSubmit={make}>
        <label htmlFor={`exp-${image.id}`}>Link lifetime in seconds</label>
        <div className="row">
          <input id={`exp-${image.id}`} type="number" min={300} max={30000} value={seconds} onChange={(e) => setSeconds(e.target.value)} />
          <button type="submit" className="secondary" aria-label={`Make expiring link for ${image.title}`}>Make expiring link</button>
        </div>
        <ErrorMessage error={error} />
        {link && (
          <p className="made-link">
            <a href={link.url} target="_blank" rel="noreferrer">Open expiring link</a> (expires{' '}
            <time dateTime={link.expires_at}>{dateTime(link.expires_at)}</time>)
          </p>
        )}
      </form>
    </details>
  );
}

function ImageCard({ image, tier }: { image: LibraryImage; tier: Tier | null | undefined }) {
  const [copied, setCopied] = useState<string | null>(null);
  const heights = Object.keys(image.thumbnails).map(Number).sort((a, b) => a - b);
  const first = heights[0];
  const copy = async (url: string) => {
    try {
      await navigator.clipboard.writeText(url);
      setCopied('Original link copied.');
    } catch {
      setCopied(url);
    }
  };
  const ratio = image.width && image.height ? image.width / image.height : 1;
  return (
    <article className="card image-card" aria-label={image.title}>
      {image.status === 'ready' && first !== undefined ? (
        <Picture
          className="thumb"
          src={image.thumbnails[String(first)]}
          alt={image.alt_text || image.title}
          width={Math.round(first * ratio)}
          height={first}
          placeholder={image.placeholder}
        />
      ) : image.status === 'ready' && image.url ? (
        <Picture className="thumb" src={image.url} alt={image.alt_text || image.title} width={image.width ?? 600} height={image.height ?? 600} placeholder={image.placeholder} />
      ) : (
        <div className={image.status === 'failed' ? 'thumb failed' : 'thumb processing'} role="status">
          {image.status === 'failed' ? `Failed: ${image.failure?.message ?? 'could not be used'}` : 'Processing…'}
        </div>
      )}
      <div className="card-body">
        <h3>{image.title}</h3>
        {image.width && image.height && <p className="muted">{image.width} × {image.height}</p>}
        {heights.length > 0 && (
          <p className="thumb-links">
            Thumbnails:{' '}
            {heights.map((h) => (
              <a key={h} href={image.thumbnails[String(h)]} target="_blank" rel="noreferrer" aria-label={`${h} px thumbnail of ${image.title}`}>
                {h} px
              </a>
            ))}
          </p>
        )}
        {image.original_url && (
          <div className="row">
            <button type="button" className="secondary" onClick={() => void copy(image.original_url!)} aria-label={`Copy original link of ${image.title}`}>
              Copy original link
            </button>
            {copied && <span role="status" className="copied">{copied}</span>}
          </div>
        )}
        {image.status === 'ready' && tier?.expiring_links !== false && <ExpiringLink image={image} />}
      </div>
    </article>
  );
}

export function LibraryPage() {
  const { client, user } = useSession();
  const tier = useTier();
  const [search, setSearch] = useState('');
  const [title, setTitle] = useState('');
  const q = useInfiniteQuery({
    queryKey: ['images', title, user?.tier],
    queryFn: ({ pageParam }) => client.images({ title: title || undefined, cursor: pageParam }),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor,
    refetchInterval: (query) => (query.state.data?.pages.some((p) => p.items.some((i) => i.status === 'processing')) ? 1500 : false),
  });
  const images = q.data?.pages.flatMap((p) => p.items) ?? [];
  const t = tier.data;
  return (
    <main>
      <div className="toolbar">
        <h1>My images</h1>
        <p className="muted">
          Your tier: <strong>{user?.tier}</strong>
          {t && ` — thumbnails ${t.thumbnail_heights.join(', ') || 'none'} px${t.original_link ? ', original link' : ''}${t.expiring_links ? ', expiring links' : ''}`}
        </p>
      </div>
      <div className="library">
        <div>
          <UploadForm />
        </div>
        <section aria-labelledby="lib-title">
          <h2 id="lib-title" className="visually-hidden">Library</h2>
          <form
            className="search row"
            role="search"
            onSubmit={(e) => {
              e.preventDefault();
              setTitle(search.trim());
            }}
          >
            <label htmlFor="search">Search by title</label>
            <input id="search" type="search" value={search} onChange={(e) => setSearch(e.target.value)} />
            <button type="submit" className="secondary">Search</button>
          </form>
          <ErrorMessage error={q.error} />
          {q.isPending && <p className="muted">Loading images…</p>}
          {!q.isPending && !images.length && <p className="muted">{title ? 'No image has that title.' : 'No images yet.'}</p>}
          <div className="grid small">
            {images.map((i) => (
              <ImageCard key={i.id} image={i} tier={t} />
            ))}
          </div>
          {q.hasNextPage && (
            <button type="button" className="secondary" onClick={() => void q.fetchNextPage()}>Load more</button>
          )}
        </section>
      </div>
    </main>
  );
}
