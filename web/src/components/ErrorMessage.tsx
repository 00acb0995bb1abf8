//! An error shown in place, announced to screen readers.

import { errorMessage } from '../api/client';

export function ErrorMessage({ error }: { error: unknown }) {
  if (!error) return null;
  return (
    <p className="error" role="alert">
      {errorMessage(error)}
    </p>
  );
}
