/**
 * Runs async work one piece at a time, in the order it was given: a change to provisioned data
 * reads, checks and writes without another change interleaving. A failed piece does not stop the
 * ones after it.
 */
export class OneAtATime {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(work: () => Promise<T>): Promise<T> {
    const done = this.tail.then(work, work);
    this.tail = done.catch(() => undefined);
    return done;
  }
}
