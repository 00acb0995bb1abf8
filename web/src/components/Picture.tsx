//! An image painted first from its ThumbHash placeholder and average colour, with its size set so the page
//! does not shift when the JPEG arrives.

import { useMemo } from 'react';
import { thumbHashToDataURL } from 'thumbhash';
import type { Placeholder } from '../api/types';

function placeholderUrl(p: Placeholder | null | undefined): string | null {
  if (!p?.thumbhash) return null;
  try {
    const bin = atob(p.thumbhash);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return thumbHashToDataURL(bytes);
  } catch {
    return null;
  }
}

// `priority`: an image in the first screenful (the first feed cards, a post's own picture) is fetched at once
// and first, as the page's largest paint; every other one waits until it nears the viewport.
export function Picture({ src, alt, width, height, placeholder, className, priority = false }: {
  src: string;
  alt: string;
  width: number;
  height: number;
  placeholder?: Placeholder | null;
  className?: string;
  priority?: boolean;
}) {
  const ph = useMemo(() => placeholderUrl(placeholder), [placeholder]);
  return (
    <img
      className={className}
      src={src}
      alt={alt}
      width={width}
      height={height}
      loading={priority ? 'eager' : 'lazy'}
      fetchPriority={priority ? 'high' : 'auto'}
      decoding="async"
      style={{
        backgroundColor: placeholder?.color,
        backgroundImage: ph ? `url("${ph}")` : undefined,
      }}
    />
  );
}
