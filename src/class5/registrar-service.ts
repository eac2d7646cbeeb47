/**
 * REGISTER over the signalling port (RFC 3261 §10.3): tenant from the To host, AOR check, digest
 * authentication, then the registrar's answer. Also the digest check INVITEs from extensions use.
 */
import type { Logger } from '../util/log.js';
import type { InboundRequest, RequestResponder, SignallingPort } from '../sip/port.js';
import { parseCSeq, parseUri } from '../sip/header-values.js';
import { canonicalAor, type Registrar } from './registrar.js';
import type { DigestAuthenticator } from './digest-auth.js';
import type { Tenant, TenantDirectory } from './tenants.js';
import type { ExtensionConfig } from './config.js';
import { Registry } from 'prom-client';
import { class5Metrics, type Class5Metrics } from './metrics.js';

export interface RegistrarServiceDeps {
  sip: SignallingPort;
  tenants: TenantDirectory;
  registrar: Registrar;
  auth: DigestAuthenticator;
  logger: Logger;
  /** Where REGISTERs are counted (the switch's registry; default: one of its own). */
  registry?: Registry;
}

export type Authenticated = { ok: true; tenant: Tenant; extension: ExtensionConfig } | { ok: false; status: number; reason?: string; headers: Record<string, string | string[]> };

/** The tenant a request is for: the To host (§10.3 step 1 names the Request-URI's domain; the To host is the AOR's). */
export function tenantOf(tenants: TenantDirectory, req: InboundRequest): Tenant | undefined {
  const toHost = parseUri(req.to.uri)?.host;
  const ruriHost = parseUri(req.uri)?.host;
  return (toHost && tenants.byDomain(toHost)) || (ruriHost && tenants.byDomain(ruriHost)) || undefined;
}

export class RegistrarService {
  private readonly log: Logger;
  private readonly m: Class5Metrics;

  constructor(private readonly d: RegistrarServiceDeps) {
    this.m = class5Metrics(d.registry ?? new Registry());
    this.log = d.logger.child({ component: 'registrar' });
  }

  listen(): void {
    this.d.sip.onRequest('REGISTER', (req, res) => this.onRegister(req, res));
  }

  /**
   * Digest check of a request from an extension of `tenant` (username = extension number, realm =
   * tenant domain). `user` is the extension the request claims to be (the AOR user).
   */
  authenticate(req: InboundRequest, tenant: Tenant, user: string): Authenticated {
    const extension = tenant.extensions.get(user);
    const outcome = this.d.auth.verify(
      { method: req.method, authorization: req.get('authorization') ?? req.get('proxy-authorization'), source: req.sourceAddress },
      tenant.domain,
      (username) => this.d.tenants.ha1(tenant, username) ?? this.d.tenants.retiredHa1(tenant, username),
    );
    if (!outcome.ok) return { ok: false, status: outcome.status, headers: outcome.headers, reason: outcome.reason };
    // The right credentials of an extension that was deprovisioned: §10.3 step 5, the AOR is not ours (any more).
    if (!extension && outcome.username === user && this.d.tenants.retiredHa1(tenant, user)) return { ok: false, status: 404, reason: 'removed', headers: {} };
    // §10.3 step 3 / §22.3: credentials of one extension do not act for another.
    if (outcome.username !== user || !extension) {
      this.m.authFailures.inc({ reason: 'wrong-user' });
      return { ok: false, status: 403, reason: 'wrong-user', headers: {} };
    }
    return { ok: true, tenant, extension };
  }

  private onRegister(req: InboundRequest, res: RequestResponder): void {
    const answer = (tenant: string, status: number, reason?: string, headers: Record<string, string | string[]> = {}) => {
      this.m.registerRequests.inc({ tenant, status: String(status) });
      res.send(status, reason, { headers });
    };
    const tenant = tenantOf(this.d.tenants, req);
    if (!tenant) return answer('unknown', 404, 'Not Found (domain)');
    const aor = canonicalAor(req.to.uri);
    if (!aor) return answer(tenant.id, 404, 'Not Found');
    // §10.3 step 5 (an AOR not ours) is answered only after authentication: an unknown extension is
    // challenged like a known one, so answers do not tell scanners (svwar) which extensions exist.
    // authenticate() refuses credentials that name an extension we do not have.
    const auth = this.authenticate(req, tenant, req.to.user);
    if (!auth.ok) {
      if (auth.status === 404) return answer(tenant.id, 404, 'Not Found (extension removed)');
      if (auth.status === 403) this.log.warn({ source: req.sourceAddress, aor, why: auth.reason }, 'REGISTER refused');
      return answer(tenant.id, auth.status, undefined, auth.headers);
    }
    const cseq = parseCSeq(req.get('cseq') ?? '')?.seq ?? 0;
    const result = this.d.registrar.apply(tenant.id, aor, {
      contacts: req.getAll('contact'),
      expires: req.get('expires'),
      callId: req.callId,
      cseq,
      path: req.getAll('path'),
      supportedPath: req.getAll('supported').some((s) => s.trim().toLowerCase() === 'path'),
      source: { address: req.sourceAddress, port: req.sourcePort },
      userAgent: req.get('user-agent'),
      maxContacts: auth.extension.maxDevices,
    });
    if (result.status === 200) this.log.debug({ aor, tenant: tenant.id, contacts: req.getAll('contact').length }, 'REGISTER accepted');
    answer(tenant.id, result.status, result.reason, { ...result.headers, Date: new Date().toUTCString() });
  }
}
