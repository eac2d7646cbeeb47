/**
 * The audit log: one entry per change request that got past authentication (who, what, outcome,
 * and before/after where the route provides them), to
 *   - the process log as a pino child `component: 'audit'`,
 *   - `<dataDir>/<api.audit.file>`, JSON lines, rotated to `.1` at `maxBytes` (bounded on disk),
 *   - the last `recent` entries in memory (GET /api/v1/audit).
 * Requests the guards refuse (401/403) are logged by them, not here: an anonymous flood must not be
 * able to rotate real changes out of the file. No header, token or body is ever recorded.
 */
import { appendFile, mkdir, rename, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from '../util/log.js';
import { isChange } from './security.js';

export interface AuditEntry {
  time: string;
  /** Token name, or "lab (no auth)" when authentication is off. */
  actor: string;
  role: string | null;
  method: string;
  /** The route pattern, e.g. /api/v1/routes/decks/:carrier. */
  route: string;
  params?: Record<string, string>;
  status: number;
  outcome: 'ok' | 'failed';
  before?: unknown;
  after?: unknown;
  reqId: string;
  ip: string;
}

export interface AuditDetail {
  before?: unknown;
  after?: unknown;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** What the change did, set by the route for the audit entry. */
    auditDetail: AuditDetail | null;
  }
}

export const LAB_ACTOR = 'lab (no auth)';

/** Routes call this with the state before and after their change. */
export function auditChange(req: FastifyRequest, detail: AuditDetail): void {
  req.auditDetail = { ...(req.auditDetail ?? {}), ...detail };
}

export interface AuditLogOptions {
  /** Absent: memory and process log only. */
  file?: string;
  maxBytes: number;
  recent: number;
  log: Logger;
}

export class AuditLog {
  private readonly ring: AuditEntry[] = [];
  private readonly log: Logger;
  private size = -1;
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly opts: AuditLogOptions) {
    this.log = opts.log.child({ component: 'audit' });
  }

  /** Newest last. */
  recent(limit = this.opts.recent): AuditEntry[] {
    return this.ring.slice(-limit);
  }

  /** Resolves once the entry is in the file (failures are logged, never thrown). */
  record(entry: AuditEntry): Promise<void> {
    this.ring.push(entry);
    if (this.ring.length > this.opts.recent) this.ring.splice(0, this.ring.length - this.opts.recent);
    this.log.info({ audit: entry }, `audit: ${entry.actor} ${entry.method} ${entry.route} -> ${entry.status}`);
    const file = this.opts.file;
    if (!file) return Promise.resolve();
    const line = JSON.stringify(entry) + '\n';
    this.chain = this.chain.then(() => this.append(file, line)).catch((err: unknown) => this.log.error({ err, file }, 'audit entry not written to the audit file; check dataDir is writable'));
    return this.chain;
  }

  /** Waits for pending writes. */
  flush(): Promise<void> {
    return this.chain;
  }

  private async append(file: string, line: string): Promise<void> {
    if (this.size < 0) {
      await mkdir(dirname(file), { recursive: true });
      this.size = await stat(file).then(
        (s) => s.size,
        () => 0,
      );
    }
    const bytes = Buffer.byteLength(line);
    if (this.size > 0 && this.size + bytes > this.opts.maxBytes) {
      await rename(file, `${file}.1`);
      this.size = 0;
    }
    await appendFile(file, line, { mode: 0o600 });
    this.size += bytes;
  }
}

/** Records every authenticated change before its reply leaves (onSend), so a 2xx means it is logged. */
export function installAudit(app: FastifyInstance, audit: AuditLog): void {
  app.decorateRequest('auditDetail', null);
  app.addHook('onSend', async (req, reply) => {
    // Refused by the guards (401/403): logged there, not a change.
    if (!isChange(req.method) || !req.admitted) return;
    const route = req.routeOptions.url;
    if (route === undefined) return;
    const status = reply.statusCode;
    const params = req.params as Record<string, string> | undefined;
    await audit.record({
      time: new Date().toISOString(),
      actor: req.principal?.name ?? LAB_ACTOR,
      role: req.principal?.role ?? null,
      method: req.method,
      route,
      ...(params && Object.keys(params).length ? { params } : {}),
      status,
      outcome: status < 400 ? 'ok' : 'failed',
      ...(req.auditDetail ?? {}),
      reqId: String(req.id),
      ip: req.ip,
    });
  });
  app.addHook('onClose', async () => audit.flush());
}
