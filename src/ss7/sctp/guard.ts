import type { EventEmitter } from 'node:events';

/**
 * The package decodes received packets inside its socket 'message' listeners and can throw on
 * hostile input (e.g. a chunk length past the packet end). Rewraps those listeners so a bad
 * packet is dropped and reported instead of becoming an uncaught exception. `screen`, given the
 * listener's first argument, refuses a packet before the package sees it (one it would loop on).
 */
export function guardListeners(
  emitter: EventEmitter,
  event: string,
  onThrow: (err: unknown) => void,
  screen?: (packet: Buffer) => string | undefined,
): void {
  for (const listener of emitter.listeners(event) as ((...args: unknown[]) => void)[]) {
    emitter.off(event, listener);
    emitter.on(event, (...args: unknown[]) => {
      const refused = screen && Buffer.isBuffer(args[0]) ? screen(args[0]) : undefined;
      if (refused !== undefined) {
        onThrow(new Error(`refused before decoding: ${refused}`));
        return;
      }
      try {
        listener.apply(emitter, args);
      } catch (err) {
        onThrow(err);
      }
    });
  }
}
