//! Pick or drop an image file; shows a preview of the chosen file.

import { useEffect, useId, useState, type DragEvent } from 'react';

export const ACCEPT = 'image/png,image/jpeg,image/bmp';

export function FilePicker({ file, onFile, label = 'Image', disabled }: { file: File | null; onFile: (f: File | null) => void; label?: string; disabled?: boolean }) {
  const id = useId();
  const [preview, setPreview] = useState<string | null>(null);
  const [over, setOver] = useState(false);
  useEffect(() => {
    if (!file) return setPreview(null);
    const url = URL.createObjectURL(file);
    setPreview(url);
    return () => URL.revokeObjectURL(url);
  }, [file]);
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    const f = e.dataTransfer.files[0];
    if (f && !disabled) onFile(f);
  };
  return (
    <div
      className={`dropzone${over ? ' over' : ''}`}
      onDragOver={(e) => {
        e.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={onDrop}
    >
      <label htmlFor={id}>{label}</label>
      <input id={id} type="file" accept={ACCEPT} disabled={disabled} onChange={(e) => onFile(e.target.files?.[0] ?? null)} />
      <p className="hint">PNG, JPEG or BMP, up to 100 MB. You can also drop a file here.</p>
      {preview && <img className="preview" src={preview} alt="Preview of the chosen image" />}
    </div>
  );
}
