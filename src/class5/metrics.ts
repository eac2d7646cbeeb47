import { Counter, Gauge } from 'prom-client';
import { registry } from '../util/metrics.js';

export const authFailures = new Counter({
  name: 'softswitch_sip_auth_failures_total',
  help: 'Digest authentications refused, by reason (bad-response, unknown-user, replay, stale, bad-nonce, malformed, realm, rate-limited)',
  labelNames: ['reason'] as const,
  registers: [registry],
});

export const authChallenges = new Counter({
  name: 'softswitch_sip_auth_challenges_total',
  help: 'Digest challenges sent (401 with WWW-Authenticate), by method',
  labelNames: ['method'] as const,
  registers: [registry],
});

export const registrationsActive = new Gauge({
  name: 'softswitch_registrations_active',
  help: 'Registered contacts (bindings) not yet expired, by tenant',
  labelNames: ['tenant'] as const,
  registers: [registry],
});

export const registerRequests = new Counter({
  name: 'softswitch_register_requests_total',
  help: 'REGISTER requests answered, by tenant and final status',
  labelNames: ['tenant', 'status'] as const,
  registers: [registry],
});

export const class5Calls = new Counter({
  name: 'softswitch_class5_call_attempts_total',
  help: 'INVITEs from extensions or to DIDs of Class 5 tenants, by tenant and outcome of the dial plan',
  labelNames: ['tenant', 'outcome'] as const,
  registers: [registry],
});

export const unknownSubscriberRequests = new Counter({
  name: 'softswitch_class5_unknown_source_refused_total',
  help: 'New requests from addresses that are no trunk customer, refused before any SIP state was kept because they name no tenant (or a NOTIFY not from a voicemail server), by method and reason',
  labelNames: ['method', 'reason'] as const,
  registers: [registry],
});

export const mwiSubscriptions = new Gauge({
  name: 'softswitch_mwi_subscriptions_active',
  help: 'message-summary subscriptions (RFC 6665/3842) held for devices of extensions',
  registers: [registry],
});

export const mwiNotifies = new Counter({
  name: 'softswitch_mwi_notifies_total',
  help: 'message-summary NOTIFYs: received from voicemail servers (kind from-voicemail, our answer), sent in subscriptions (subscribed) or to registered contacts (unsolicited), by the final status',
  labelNames: ['kind', 'status'] as const,
  registers: [registry],
});

export const featureCodes = new Counter({
  name: 'softswitch_class5_feature_codes_total',
  help: 'Star codes dialled by extensions, by tenant, code and outcome (changed, routed, or the refusal status)',
  labelNames: ['tenant', 'code', 'outcome'] as const,
  registers: [registry],
});
