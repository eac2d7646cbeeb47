/**
 * Which new requests from addresses that are no trunk customer are Class 5's, decided before the
 * SIP stack keeps any state (the embedded stack's admission hook, src/sip/admission.ts). A
 * subscriber may send from anywhere, so the address proves nothing: the request must at least
 * name a tenant (REGISTER: To host; INVITE, SUBSCRIBE: From host), and a NOTIFY must come from a
 * tenant's voicemail server. Everything else gets the operator's `sip.unknownSources` verdict
 * (stateless 403 by default) and is counted here by method and reason; the stack writes the
 * rate-limited log line.
 */
import type { AdmissionSource, AdmissionVerdict } from '../sip/admission.js';
import { parseNameAddr, parseUri } from '../sip/header-values.js';
import type { Registry } from 'prom-client';
import { class5Metrics } from './metrics.js';
import type { TenantDirectory } from './tenants.js';

const hostOf = (header: string | undefined) => {
  const na = header === undefined ? undefined : parseNameAddr(header);
  return na ? parseUri(na.uri)?.host : undefined;
};

/** Why a request is not Class 5's, or undefined when it is. */
export function class5Refusal(tenants: TenantDirectory, voicemailHosts: ReadonlySet<string>, s: AdmissionSource): string | undefined {
  const tenantNamed = (h: string | undefined) => h !== undefined && tenants.byDomain(h) !== undefined;
  switch (s.method) {
    case 'REGISTER':
      return tenantNamed(hostOf(s.header?.('to'))) ? undefined : 'unknown-domain';
    case 'INVITE':
    case 'SUBSCRIBE':
      return tenantNamed(hostOf(s.header?.('from'))) ? undefined : 'unknown-domain';
    case 'NOTIFY':
      return voicemailHosts.has(s.address) ? undefined : 'not-voicemail-server';
    default:
      return 'method';
  }
}

/** The addresses of the tenants' voicemail servers (the host of each `voicemail` URI). */
export function voicemailHosts(tenants: TenantDirectory): Set<string> {
  const hosts = new Set<string>();
  for (const t of tenants.all()) {
    const host = t.config.voicemail ? parseUri(t.config.voicemail)?.host : undefined;
    if (host) hosts.add(host.replace(/^\[|\]$/g, ''));
  }
  return hosts;
}

/**
 * The admission hook: trunk customers first (by source address), then Class 5 by the request's
 * content; what neither claims gets `otherwise`.
 */
export function class5AdmissionHook(tenants: TenantDirectory, isTrunkSource: (address: string) => boolean, otherwise: AdmissionVerdict, registry: Registry): (s: AdmissionSource) => AdmissionVerdict {
  // Recomputed when provisioning changes the tenants (TenantDirectory.generation).
  let vm = voicemailHosts(tenants);
  let vmGeneration = tenants.generation;
  const { unknownSubscriberRequests } = class5Metrics(registry);
  return (s) => {
    if (isTrunkSource(s.address)) return 'accept';
    if (vmGeneration !== tenants.generation) {
      vm = voicemailHosts(tenants);
      vmGeneration = tenants.generation;
    }
    const why = class5Refusal(tenants, vm, s);
    if (why === undefined) return 'accept';
    if (otherwise !== 'accept') unknownSubscriberRequests.inc({ method: s.method === 'REGISTER' || s.method === 'INVITE' || s.method === 'SUBSCRIBE' || s.method === 'NOTIFY' ? s.method : 'other', reason: why });
    return otherwise;
  };
}
