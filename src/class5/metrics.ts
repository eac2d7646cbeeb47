import { Counter, Gauge, type Registry } from 'prom-client';
import { perRegistry } from '../util/metrics.js';

/** Class 5 metrics (registrar, digest authentication, dial plan), declared on the registry passed in. */
export const class5Metrics = perRegistry((registry: Registry) => ({
  authFailures: new Counter({
    name: 'softswitch_sip_auth_failures_total',
    help: 'Digest authentications refused, by reason (bad-response, unknown-user, replay, stale, bad-nonce, malformed, realm, rate-limited)',
    labelNames: ['reason'] as const,
    registers: [registry],
  }),

  authChallenges: new Counter({
    name: 'softswitch_sip_auth_challenges_total',
    help: 'Digest challenges sent (401 with WWW-Authenticate), by method',
    labelNames: ['method'] as const,
    registers: [registry],
  }),

  registrationsActive: new Gauge({
    name: 'softswitch_registrations_active',
    help: 'Registered contacts (bindings) not yet expired, by tenant',
    labelNames: ['tenant'] as const,
    registers: [registry],
  }),

  registerRequests: new Counter({
    name: 'softswitch_register_requests_total',
    help: 'REGISTER requests answered, by tenant and final status',
    labelNames: ['tenant', 'status'] as const,
    registers: [registry],
  }),

  class5Calls: new Counter({
    name: 'softswitch_class5_call_attempts_total',
    help: 'INVITEs from extensions or to DIDs of Class 5 tenants, by tenant and outcome of the dial plan',
    labelNames: ['tenant', 'outcome'] as const,
    registers: [registry],
  }),

  unknownSubscriberRequests: new Counter({
    name: 'softswitch_class5_unknown_source_refused_total',
    help: 'New requests from addresses that are no trunk customer, refused before any SIP state was kept because they name no tenant (or a NOTIFY not from a voicemail server), by method and reason',
    labelNames: ['method', 'reason'] as const,
    registers: [registry],
  }),

  mwiSubscriptions: new Gauge({
    name: 'softswitch_mwi_subscriptions_active',
    help: 'message-summary subscriptions (RFC 6665/3842) held for devices of extensions',
    registers: [registry],
  }),

  mwiNotifies: new Counter({
    name: 'softswitch_mwi_notifies_total',
    help: 'message-summary NOTIFYs: received from voicemail servers (kind from-voicemail, our answer), sent in subscriptions (subscribed) or to registered contacts (unsolicited), by the final status',
    labelNames: ['kind', 'status'] as const,
    registers: [registry],
  }),

  featureCodes: new Counter({
    name: 'softswitch_class5_feature_codes_total',
    help: 'Star codes dialled by extensions, by tenant, code and outcome (changed, routed, or the refusal status)',
    labelNames: ['tenant', 'code', 'outcome'] as const,
    registers: [registry],
  }),
}));
export type Class5Metrics = ReturnType<typeof class5Metrics>;
