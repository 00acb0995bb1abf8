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

export function Picture({ src, alt, width, height, placeholder, className }: {
  src: string;
  alt: string;
  width: number;
  height: number;
  placeholder?: Placeholder | null;
  className?: string;
}) {
  const ph = useMemo(() => placeholderUrl(placeholder), [placeholder]);
  return (
    <img
      className={className}
      src={src}
      alt={alt}
      width={width}
      height={height}
      loading="lazy"
      decoding="async"
      style={{
        backgroundColor: placeholder?.color,
        backgroundImage: ph ? `url("${ph}")` : undefined,
      }}
    />
  );
}
