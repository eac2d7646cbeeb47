/**
 * What an extension dialled (pure): an emergency number, another extension of its tenant, or a
 * PSTN number of some reach, checked against its class of service.
 */
import type { ExtensionConfig } from './config.js';
import type { Tenant } from './tenants.js';
import type { HuntGroup } from './features/hunt.js';

export type Reach = 'local' | 'national' | 'international';

export type DialResult =
  | { kind: 'emergency'; number: string }
  | { kind: 'extension'; number: string; extension: ExtensionConfig }
  | { kind: 'hunt'; number: string; group: HuntGroup }
  | { kind: 'pstn'; number: string; reach: Reach }
  | { kind: 'refuse'; status: number; cause: number; why: string };

/** Emergency numbers (NANP 911, 933 test line): always routed, never forwarded or barred. */
export const EMERGENCY = new Set(['911', '933']);

const ALLOWED: Record<ExtensionConfig['cos'], ReadonlySet<Reach>> = {
  blocked: new Set(),
  local: new Set(['local']),
  national: new Set(['local', 'national']),
  international: new Set(['local', 'national', 'international']),
};

/** NANP dialling: 7 digits local, 10 or 1+10 national, 011/+ international (other than +1). */
export function reachOf(number: string): Reach | undefined {
  if (/^\+1\d{10}$/.test(number)) return 'national';
  if (/^(\+|011)\d{6,15}$/.test(number)) return 'international';
  if (/^1?\d{10}$/.test(number)) return 'national';
  if (/^\d{7}$/.test(number)) return 'local';
  return undefined;
}

export function dial(tenant: Tenant, caller: ExtensionConfig, dialled: string, emergency: ReadonlySet<string> = EMERGENCY): DialResult {
  const number = dialled.replace(/[-.() ]/g, '');
  if (emergency.has(number)) return { kind: 'emergency', number };
  const extension = tenant.extensions.get(number);
  if (extension) return { kind: 'extension', number, extension };
  const group = tenant.config.huntGroups.find((h) => h.number === number);
  if (group) return { kind: 'hunt', number, group };
  const reach = reachOf(number);
  // Short numbers that are no extension of this tenant do not exist here, whatever other tenants have.
  if (!reach) return { kind: 'refuse', status: 404, cause: 1, why: `no extension ${number} in tenant ${tenant.id}` };
  // Q.850 21 (call rejected) / SIP 403 for a barred reach (RFC 3398 §8.2.6.1).
  if (!ALLOWED[caller.cos].has(reach)) return { kind: 'refuse', status: 403, cause: 21, why: `${reach} call barred by class of service ${caller.cos}` };
  return { kind: 'pstn', number, reach };
}
