/**
 * Calls of Class 5 subscribers on the call engine: an INVITE from an extension (digest, RFC 3261
 * §22.3: 407 + Proxy-Authenticate) goes through the dial plan to another extension of its tenant
 * (its registered contacts, in parallel when several) or to the PSTN through the LCR; a PSTN call
 * to a DID of an extension is delivered the same way. Terminating features decide the destinations
 * (features/forwarding.ts); forwarded legs carry History-Info and Diversion (features/history.ts).
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import type { InboundRequest, InviteResponder, SignallingPort } from '../sip/port.js';
import { parseUri } from '../sip/header-values.js';
import type { CallManager } from '../calls/manager.js';
import type { CallDirection, CallPlan, Destination } from '../calls/plan.js';
import type { CallParty, LegFailure, TerminatingLeg } from '../calls/legs/leg.js';
import type { IsupLegDeps } from '../calls/legs/isup-deps.js';
import { SipInboundLeg } from '../calls/legs/sip-inbound-leg.js';
import { SipOutboundLeg } from '../calls/legs/sip-outbound-leg.js';
import { ForkLeg } from '../calls/legs/fork-leg.js';
import type { CallRouter } from '../class4/routing/route-plan.js';
import { lcrPlan } from '../class4/intake/lcr-destinations.js';
import { e164Of } from '../class4/intake/trunk-intake.js';
import { sipIdentityFor } from '../calls/interworking/isup-to-sip.js';
import type { ExtensionConfig } from './config.js';
import { dial } from './dial-plan.js';
import { terminatingDecision, type Redirect, type TerminatingDecision } from './features/forwarding.js';
import { forwardHops, forwardingHeaders } from './features/history.js';
import { huntDecision, type HuntGroup } from './features/hunt.js';
import type { Registrar } from './registrar.js';
import type { RegistrarService } from './registrar-service.js';
import type { Tenant, TenantDirectory } from './tenants.js';
import { class5Calls } from './metrics.js';

export interface Class5CallDeps {
  sip: SignallingPort;
  calls: CallManager;
  tenants: TenantDirectory;
  registrar: Registrar;
  service: RegistrarService;
  router: CallRouter;
  isupLegs: IsupLegDeps;
  clock: Clock;
  logger: Logger;
  mediaAddress: string;
  noResponseMs: number;
  answerTimeoutMs: number;
  /** Per-tenant toll-fraud limits (class4/admission/fraud.ts): `e164` undefined for an on-net call. */
  limits?: (tenant: string, e164: string | undefined) => { limit: string; cause: number; sipStatus: number; retryAfterS?: number } | undefined;
}

const busy = (f: LegFailure) => f.cause === 17 || f.sipStatus === 486 || f.sipStatus === 600;
const noAnswer = (f: LegFailure) => f.cause === 19 || f.cause === 18;

export class Class5CallIntake {
  private readonly log: Logger;

  constructor(private readonly d: Class5CallDeps) {
    this.log = d.logger.child({ component: 'class5-calls' });
  }

  /** An INVITE is Class 5's when its From host is a tenant's domain (a subscriber calling). */
  claims(req: InboundRequest): boolean {
    const host = parseUri(req.from.uri)?.host;
    return host !== undefined && this.d.tenants.byDomain(host) !== undefined;
  }

  onInvite(req: InboundRequest, res: InviteResponder): void {
    const tenant = this.d.tenants.byDomain(parseUri(req.from.uri)?.host ?? '');
    if (!tenant) return res.send(403);
    const log = this.log.child({ sipCallId: req.callId, tenant: tenant.id, caller: req.from.user });
    const refuse = (status: number, cause: number, outcome: string, why: string, headers: Record<string, string> = {}) => {
      class5Calls.inc({ tenant: tenant.id, outcome });
      log.info({ status, why }, 'class 5 call refused');
      res.send(status, undefined, { headers: { ...headers, ...(cause ? { Reason: `Q.850;cause=${cause}` } : {}) } });
    };
    if (this.d.calls.isDraining) return refuse(503, 0, 'draining', 'switch is shutting down', { 'Retry-After': '30' });
    const auth = this.d.service.authenticate(req, tenant, req.from.user);
    if (!auth.ok) {
      // §22.3: a UAS-side proxy challenge; one challenge (the preferred algorithm) fits one header line here.
      const challenge = ([] as string[]).concat(auth.headers['WWW-Authenticate'] ?? [])[0];
      if (auth.status === 401 && challenge) return refuse(407, 0, `auth-${auth.reason ?? 'challenge'}`, 'digest challenge', { 'Proxy-Authenticate': challenge });
      return refuse(403, 0, `auth-${auth.reason ?? 'refused'}`, 'digest refused');
    }
    const caller = auth.extension;
    const result = dial(tenant, caller, req.calledNumber);
    if (result.kind === 'refuse') return refuse(result.status, result.cause, result.status === 404 ? 'no-such-extension' : 'barred', result.why);
    // Emergency calls pass every limit.
    const over = result.kind === 'emergency' ? undefined : this.d.limits?.(tenant.id, result.kind === 'pstn' ? e164Of(result.number) : undefined);
    if (over) return refuse(over.sipStatus, over.cause, `fraud-${over.limit}`, `tenant limit ${over.limit}`, over.retryAfterS ? { 'Retry-After': String(over.retryAfterS) } : {});
    const callId = randomUUID();
    const pstnCalling = (caller.callerId ?? tenant.config.mainNumber ?? caller.number).replace(/^\+1?/, '');
    let plan: CallPlan;
    let party: CallParty;
    if (result.kind === 'extension') {
      party = { called: result.number, calling: caller.number };
      const hops = forwardHops(req.getAll('diversion'), req.getAll('history-info'));
      plan = this.extensionPlan(tenant, result.extension, party, 'sip-to-sip', { hops, fromUri: `sip:${caller.number}@${tenant.domain}` });
    } else if (result.kind === 'hunt') {
      party = { called: result.number, calling: caller.number };
      plan = this.huntPlan(tenant, result.group, party, `sip:${caller.number}@${tenant.domain}`);
    } else {
      // Emergency calls bypass class of service (dial-plan) and every forwarding feature.
      party = { called: result.number, calling: pstnCalling };
      plan = lcrPlan(this.d.router, this.d.isupLegs, callId, { party, customer: tenant.id, direction: 'sip-to-isup' });
    }
    class5Calls.inc({ tenant: tenant.id, outcome: result.kind });
    const leg = new SipInboundLeg({ sip: this.d.sip, logger: log, mediaAddress: this.d.mediaAddress }, req, res, party);
    this.d.calls.start(leg, { ...plan, cdr: { ...plan.cdr, customer: tenant.id } }, callId);
  }

  private readonly huntStart = new Map<string, number>();

  /** A hunt group's steps (features/hunt.ts) as destinations; busy, no answer and unreachable members move on. */
  huntPlan(tenant: Tenant, group: HuntGroup, party: CallParty, fromUri: string): CallPlan {
    const key = `${tenant.id}\n${group.number}`;
    const contactsOf = (m: string) => this.d.registrar.lookup(tenant.id, `sip:${m}@${tenant.domain}`).map((b) => b.contact);
    const decision = huntDecision(group, { start: this.huntStart.get(key) ?? 0, available: (m) => contactsOf(m).length > 0 });
    this.huntStart.set(key, decision.nextStart);
    const cdr = { customer: tenant.id, routedNumber: group.number };
    if (decision.steps.length === 0) return { refuse: { cause: 20, why: `no member of hunt group ${group.number} is registered` }, destinations: [], advanceOn: () => false, direction: 'sip-to-sip', cdr };
    const destinations: Destination[] = decision.steps.map((members) => ({
      label: `hunt ${group.number}: ${members.join('+')}`,
      leg: () => this.ring(members.flatMap(contactsOf), party, fromUri, group.ringS * 1000),
    }));
    return { destinations, direction: 'sip-to-sip', cdr, advanceOn: (f) => busy(f) || noAnswer(f) || !!f.unreachable || f.sipStatus === 480 || f.sipStatus === 408 };
  }

  /** PSTN → DID → extension: the extension's plan, or undefined when the number is no extension DID. */
  didPlan(dialled: string, party: CallParty): CallPlan | undefined {
    const hit = this.d.tenants.did(dialled);
    if (!hit) return undefined;
    class5Calls.inc({ tenant: hit.tenant.id, outcome: 'did' });
    // The PSTN caller's identity as for any DID delivery (RFC 3325 P-Asserted-Identity, RFC 3323 privacy).
    const identity = sipIdentityFor(party, this.d.mediaAddress);
    return this.extensionPlan(hit.tenant, hit.extension, party, 'isup-to-sip', { hops: 0, fromUri: identity.from, headers: identity.headers });
  }

  /** The terminating plan of an extension: its contacts, then what busy / no answer / unreachability lead to. */
  extensionPlan(tenant: Tenant, ext: ExtensionConfig, party: CallParty, direction: CallDirection, o: { hops: number; fromUri?: string; headers?: Record<string, string> }): CallPlan {
    const aor = `sip:${ext.number}@${tenant.domain}`;
    const contacts = this.d.registrar.lookup(tenant.id, aor);
    const decision: TerminatingDecision = terminatingDecision(ext, tenant.config, { registered: contacts.length > 0, hops: o.hops });
    const cdr = { customer: tenant.id, routedNumber: ext.number };
    if (decision.refuse) return { refuse: { cause: decision.refuse.cause, why: `extension ${ext.number}: ${decision.refuse.status}` }, destinations: [], advanceOn: () => false, direction, cdr };
    let last: LegFailure | undefined;
    const redirectFor = (f: LegFailure | undefined): Redirect | undefined => {
      if (!f) return undefined;
      if (busy(f)) return decision.onBusy;
      if (noAnswer(f)) return decision.onNoAnswer;
      if (f.unreachable || f.sipStatus === 480 || f.sipStatus === 408) return decision.onNoAnswer && { ...decision.onNoAnswer, reason: 'unavailable', cause: 480 };
      return undefined;
    };
    const destinations: Destination[] = [];
    if (decision.immediate) {
      const r = decision.immediate;
      destinations.push({ label: `${r.reason}:${r.target}`, leg: () => this.redirectLeg(tenant, aor, r, party, o) });
    } else {
      destinations.push({
        label: `${aor} (${contacts.length} contact${contacts.length === 1 ? '' : 's'})`,
        leg: () => this.ring(contacts.map((c) => c.contact), party, o.fromUri, decision.noAnswerMs, o.headers),
      });
      if (decision.onBusy || decision.onNoAnswer) {
        destinations.push({
          label: `${aor} forwarded`,
          leg: () => {
            const r = redirectFor(last);
            if (!r) throw new Error('forwarding destination chosen without a forwarding failure');
            return this.redirectLeg(tenant, aor, r, party, o);
          },
        });
      }
    }
    return {
      destinations,
      direction,
      cdr,
      advanceOn: (f) => destinations.length > 1 && redirectFor(f) !== undefined,
      observe: (_d, f) => {
        last = f;
      },
    };
  }

  private ring(uris: string[], party: CallParty, fromUri: string | undefined, answerMs: number | undefined, headers?: Record<string, string>): TerminatingLeg {
    const legs = uris.map(
      (uri) =>
        new SipOutboundLeg(
          { sip: this.d.sip, clock: this.d.clock, logger: this.log },
          { uri, from: fromUri ?? party.calling, headers, noResponseMs: this.d.noResponseMs, answerTimeoutMs: answerMs ?? this.d.answerTimeoutMs },
        ),
    );
    return legs.length === 1 ? legs[0] : new ForkLeg(legs);
  }

  /** The leg toward a forwarding target: an extension's contacts, a SIP URI (voicemail), or the PSTN. */
  private redirectLeg(tenant: Tenant, aor: string, r: Redirect, party: CallParty, o: { hops: number; fromUri?: string; headers?: Record<string, string> }): TerminatingLeg {
    const target = tenant.extensions.get(r.target);
    if (target) {
      const uris = this.d.registrar.lookup(tenant.id, `sip:${target.number}@${tenant.domain}`).map((b) => b.contact);
      if (uris.length > 0) return this.ring(uris, party, o.fromUri, undefined, { ...o.headers, ...forwardingHeaders(aor, `sip:${target.number}@${tenant.domain}`, r, o.hops) });
    }
    if (/^sips?:/.test(r.target)) return this.ring([r.target], party, o.fromUri, undefined, { ...o.headers, ...forwardingHeaders(aor, r.target, r, o.hops) });
    const pstn = lcrPlan(this.d.router, this.d.isupLegs, randomUUID(), { party: { ...party, called: r.target }, customer: tenant.id, direction: 'sip-to-isup' });
    const first = pstn.destinations[0];
    if (!first) throw new Error(`no route to forwarding target ${r.target}`);
    return first.leg();
  }
}
