/** Opens the store the configuration names. */
import { join } from 'node:path';
import type { Logger } from '../util/log.js';
import type { StoreConfig } from './config.js';
import { openSqliteStore } from './sqlite-store.js';
import { openPgStore } from './pg-store.js';
import type { SwitchStore } from './store.js';

/** Where the store is: the guard's settings (onWriteFailure, spoolPath, retryMs) are not needed here. */
type StoreLocation = { kind: 'sqlite'; path?: string; writerThread?: boolean } | { kind: 'postgres'; url: string; poolSize: number };

export async function openStore(cfg: StoreLocation | StoreConfig, ctx: { dataDir: string; node: string; logger: Logger }): Promise<SwitchStore> {
  if (cfg.kind === 'postgres') return openPgStore({ url: cfg.url, poolSize: cfg.poolSize, node: ctx.node, logger: ctx.logger });
  return openSqliteStore(cfg.path ?? join(ctx.dataDir, 'softswitch.sqlite'), { writerThread: cfg.writerThread, logger: ctx.logger });
}
