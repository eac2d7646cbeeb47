/**
 * Writes one batch taken from a store's queue (CDRs, open-call records): a refusal (disk full,
 * read-only) goes to `onError` when something listens (the store guard), else it is thrown.
 */
export function writeBatch<T>(batch: T[], write: (batch: T[]) => void, onError: ((batch: T[], err: unknown) => void) | undefined): void {
  if (batch.length === 0) return;
  try {
    write(batch);
  } catch (err) {
    if (!onError) throw err;
    onError(batch, err);
  }
}
