import type { EventEmitter } from 'node:events';

/**
 * The package decodes received packets inside its socket 'message' listeners and can throw on
 * hostile input (e.g. a chunk length past the packet end). Rewraps those listeners so a bad
 * packet is dropped and reported instead of becoming an uncaught exception.
 */
export function guardListeners(emitter: EventEmitter, event: string, onThrow: (err: unknown) => void): void {
  for (const listener of emitter.listeners(event) as ((...args: unknown[]) => void)[]) {
    emitter.off(event, listener);
    emitter.on(event, (...args: unknown[]) => {
      try {
        listener.apply(emitter, args);
      } catch (err) {
        onThrow(err);
      }
    });
  }
}
