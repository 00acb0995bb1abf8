//! The upload's progress bar: percent, speed and what the uploader is doing.

import type { Progress } from '../upload/uploader';
import { bytes } from '../format';

const phaseText: Record<Progress['phase'], string> = {
  preparing: 'Preparing…',
  uploading: 'Uploading',
  retrying: 'Connection lost: retrying',
  paused: 'Storage asked us to wait; resuming shortly',
  offline: 'Offline: waiting for the network',
  completing: 'Finishing…',
  done: 'Uploaded',
};

export function UploadProgress({ progress, onCancel }: { progress: Progress; onCancel?: () => void }) {
  const pct = progress.total ? Math.floor((progress.loaded / progress.total) * 100) : 0;
  return (
    <div className="upload-progress" role="group" aria-label="Upload">
      <progress max={100} value={pct} aria-label="Upload progress" />
      <p className="progress-text" aria-live="polite">
        <span>{pct}%</span>
        <span>
          {bytes(progress.loaded)} of {bytes(progress.total)}
        </span>
        {progress.bytesPerSecond > 0 && <span>{bytes(progress.bytesPerSecond)}/s</span>}
        <span>{phaseText[progress.phase]}</span>
      </p>
      {onCancel && progress.phase !== 'done' && (
        <button type="button" className="secondary" onClick={onCancel}>
          Cancel upload
        </button>
      )}
    </div>
  );
}
