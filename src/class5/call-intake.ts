/**
 * Calls of Class 5 subscribers on the call engine: an INVITE from an extension (digest, RFC 3261
 * §22.3: 407 + Proxy-Authenticate) goes through the dial plan to another extension of its tenant
 * (its registered contacts, in parallel when several) or to the PSTN through the LCR; a PSTN call
 * to a DID of an extension is delivered the same way. Terminating features decide the destinations
 * (features/forwarding.ts); forwarded legs carry History-Info and Diversion (features/history.ts).
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../util/clock.js';
import { lazyChild, type Logger } from '../util/log.js';
import type { InboundRequest, InviteResponder, SignallingPort } from '../sip/port.js';
import { parseUri } from '../sip/header-values.js';
import type { CallManager } from '../calls/manager.js';
import type { CallDirection, CallPlan, Destination } from '../calls/plan.js';
import type { CallParty, LegFailure, OriginatingLeg, TerminatingLeg } from '../calls/legs/leg.js';
import type { IsupLegDeps } from '../calls/legs/isup-deps.js';
import { SipInboundLeg } from '../calls/legs/sip-inbound-leg.js';
import { SipOutboundLeg } from '../calls/legs/sip-outbound-leg.js';
import { ForkLeg } from '../calls/legs/fork-leg.js';
import type { CallRouter } from '../class4/routing/route-plan.js';
import { lcrPlan } from '../class4/intake/lcr-destinations.js';
import { e164Of } from '../class4/intake/trunk-intake.js';
import { sipIdentityFor } from '../calls/interworking/isup-to-sip.js';
import { sipStatusForCause } from '../calls/interworking/cause-map.js';
import type { ExtensionConfig, StarCodes } from './config.js';
import { IsupOutgoingLeg } from '../calls/legs/isup-outgoing-leg.js';
import { featureCodeDecision, parseFeatureCode } from './features/star-codes.js';
import { effectiveExtension, type FeatureSettingsStore } from './features/settings.js';
import { FeatureCodeLeg } from './feature-code-leg.js';
import { dial } from './dial-plan.js';
import { terminatingDecision, type Redirect, type TerminatingDecision } from './features/forwarding.js';
import { forwardHops, forwardingHeaders } from './features/history.js';
import { followMeSteps, huntDecision, type HuntGroup } from './features/hunt.js';
import { TimedLeg } from './timed-leg.js';
import type { Registrar } from './registrar.js';
import type { RegistrarService } from './registrar-service.js';
import type { Tenant, TenantDirectory } from './tenants.js';
import { class5Metrics } from './metrics.js';
import { transferTarget } from './features/transfer.js';
import type { TransferPolicy } from '../calls/transfer-policy.js';
import { parseReplaces } from '../sip/replaces.js';

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
  starCodes: StarCodes;
  emergency: { numbers: string[]; trunkGroups: string[] };
  /** Settings changed by star codes; without one, codes that change settings are refused (503). */
  settings?: FeatureSettingsStore;
  /** How long a feature-code call stays answered before the switch clears it (default 1 s). */
  featureHoldMs?: number;
  /** Per-tenant toll-fraud limits (class4/admission/fraud.ts): `e164` undefined for an on-net call. */
  limits?: (tenant: string, e164: string | undefined) => { limit: string; cause: number; sipStatus: number; retryAfterS?: number } | undefined;
  /** Analogue lines bound to extensions (lines/line-service.ts): a leg that rings the extension's line. */
  lines?: { legFor(tenant: string, extension: string): (() => TerminatingLeg) | undefined; ringMs: number };
}

/** RFC 3323 §4.1.1.3: the From of a call whose caller withheld its identity. */
export const ANONYMOUS_FROM = '"Anonymous" <sip:anonymous@anonymous.invalid>';

/** A caller that withheld its identity (RFC 3323 Privacy: id, an anonymous From, ISUP presentation restricted) or has none. */
export function isAnonymous(o: { from?: string; privacy?: string[]; party?: CallParty }): boolean {
  if (o.party && (o.party.callingRestricted || !o.party.calling)) return true;
  if (o.privacy?.some((p) => /(^|;)\s*id\s*(;|$)/i.test(p))) return true;
  return o.from !== undefined && /^sip:anonymous@|@anonymous\.invalid$/i.test(o.from);
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
    const log = lazyChild(this.log, { sipCallId: req.callId, tenant: tenant.id, caller: req.from.user });
    const refuse = (status: number, cause: number, outcome: string, why: string, headers: Record<string, string> = {}) => {
      class5Metrics(this.d.calls.registry).class5Calls.inc({ tenant: tenant.id, outcome });
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
    const caller = this.effective(tenant, auth.extension);
    const callerAor = `sip:${caller.number}@${tenant.domain}`;
    const replacesHeader = req.get('replaces');
    if (replacesHeader !== undefined) return this.replaceDialog(req, res, tenant, caller, replacesHeader, log);
    let dialled = req.calledNumber;
    let restricted = caller.features.blockCallerId || isAnonymous({ privacy: req.getAll('privacy') });
    const code = parseFeatureCode(dialled, this.d.starCodes);
    let featurePlan: CallPlan | undefined;
    if (code) {
      const decision = featureCodeDecision(code, tenant, caller);
      log.info({ code: code.kind, decision: decision.kind }, 'feature code dialled');
      if (decision.kind === 'refuse') {
        class5Metrics(this.d.calls.registry).featureCodes.inc({ tenant: tenant.id, code: code.kind, outcome: String(decision.status) });
        class5Metrics(this.d.calls.registry).class5Calls.inc({ tenant: tenant.id, outcome: 'feature-refused' });
        return res.send(decision.status, decision.reason);
      }
      if (decision.kind === 'dial') {
        dialled = decision.number;
        restricted ||= decision.restricted;
      } else if (decision.kind === 'change') {
        if (!this.d.settings) return res.send(503, 'Service Unavailable (feature settings store)');
        const now = this.d.settings.set(tenant.id, caller.number, decision.change);
        log.info({ what: decision.what, settings: now }, 'feature settings changed by star code');
        class5Metrics(this.d.calls.registry).featureCodes.inc({ tenant: tenant.id, code: code.kind, outcome: 'changed' });
        featurePlan = {
          destinations: [{ label: `feature ${decision.what}`, leg: () => new FeatureCodeLeg({ clock: this.d.clock, mediaAddress: this.d.mediaAddress, holdMs: this.d.featureHoldMs ?? 1000, label: `feature:${decision.what}` }) }],
          advanceOn: () => false,
          direction: 'sip-to-sip',
          cdr: { customer: tenant.id, routedNumber: req.calledNumber },
        };
      } else {
        // Retrieval: the voicemail server learns who is calling from From and P-Asserted-Identity (RFC 3325).
        class5Metrics(this.d.calls.registry).featureCodes.inc({ tenant: tenant.id, code: code.kind, outcome: 'routed' });
        const party: CallParty = { called: req.calledNumber, calling: caller.number };
        featurePlan = {
          destinations: [{ label: `voicemail ${decision.uri}`, leg: () => this.ring([decision.uri], party, callerAor, undefined, { 'P-Asserted-Identity': `<${callerAor}>` }) }],
          advanceOn: () => false,
          direction: 'sip-to-sip',
          cdr: { customer: tenant.id, routedNumber: req.calledNumber },
        };
      }
    }
    if (featurePlan) {
      const party: CallParty = { called: req.calledNumber, calling: caller.number };
      class5Metrics(this.d.calls.registry).class5Calls.inc({ tenant: tenant.id, outcome: 'feature-code' });
      const leg = new SipInboundLeg({ sip: this.d.sip, logger: log, mediaAddress: this.d.mediaAddress }, req, res, party);
      this.d.calls.start(leg, featurePlan, randomUUID());
      return;
    }
    const result = dial(tenant, caller, dialled, new Set(this.d.emergency.numbers));
    if (result.kind === 'refuse') return refuse(result.status, result.cause, result.status === 404 ? 'no-such-extension' : 'barred', result.why);
    // Emergency calls pass every limit.
    const over = result.kind === 'emergency' ? undefined : this.d.limits?.(tenant.id, result.kind === 'pstn' ? e164Of(result.number) : undefined);
    if (over) return refuse(over.sipStatus, over.cause, `fraud-${over.limit}`, `tenant limit ${over.limit}`, over.retryAfterS ? { 'Retry-After': String(over.retryAfterS) } : {});
    const callId = randomUUID();
    const pstnCalling = (caller.callerId ?? tenant.config.mainNumber ?? caller.number).replace(/^\+1?/, '');
    // A withheld identity: anonymous From and Privacy: id toward another extension (RFC 3323), presentation restricted toward the PSTN.
    const identity = restricted ? { fromUri: undefined, headers: { From: ANONYMOUS_FROM, Privacy: 'id' } } : { fromUri: callerAor, headers: undefined };
    let plan: CallPlan;
    let party: CallParty;
    if (result.kind === 'extension') {
      party = { called: result.number, calling: caller.number, callingRestricted: restricted };
      const hops = forwardHops(req.getAll('diversion'), req.getAll('history-info'));
      plan = this.extensionPlan(tenant, result.extension, party, 'sip-to-sip', { hops, fromUri: identity.fromUri, headers: identity.headers, anonymous: restricted });
    } else if (result.kind === 'hunt') {
      party = { called: result.number, calling: caller.number, callingRestricted: restricted };
      plan = this.huntPlan(tenant, result.group, party, identity.fromUri ?? ANONYMOUS_FROM);
    } else if (result.kind === 'emergency') {
      // Emergency calls bypass class of service, forwarding, DND and caller-ID blocking, and carry the callback number.
      party = { called: result.number, calling: pstnCalling, callingRestricted: false };
      plan = this.emergencyPlan(tenant, party, callId);
    } else {
      party = { called: result.number, calling: pstnCalling, callingRestricted: restricted };
      plan = lcrPlan(this.d.router, this.d.isupLegs, callId, { party, customer: tenant.id, direction: 'sip-to-isup' });
    }
    class5Metrics(this.d.calls.registry).class5Calls.inc({ tenant: tenant.id, outcome: result.kind });
    const leg = new SipInboundLeg({ sip: this.d.sip, logger: log, mediaAddress: this.d.mediaAddress }, req, res, party);
    const parties = { caller: caller.number, callee: result.kind === 'extension' ? result.number : undefined };
    this.d.calls.start(leg, { ...plan, cdr: { ...plan.cdr, customer: tenant.id }, parties, transfer: this.transferPolicy(tenant) }, callId);
  }

  /**
   * RFC 3891 §3: an INVITE with Replaces from an authenticated extension takes the place of the
   * dialog it names (its other party is re-INVITEd); 481 when no confirmed dialog of the switch
   * matches, 486 for `early-only`, 403 for another tenant's call, 400 when the header is malformed.
   */
  private replaceDialog(req: InboundRequest, res: InviteResponder, tenant: Tenant, caller: ExtensionConfig, header: string, log: Logger): void {
    const replaces = parseReplaces(header);
    if (!replaces) return res.send(400, 'Bad Request (Replaces)');
    const party: CallParty = { called: req.calledNumber, calling: caller.number };
    const leg = new SipInboundLeg({ sip: this.d.sip, logger: log, mediaAddress: this.d.mediaAddress }, req, res, party);
    const refused = this.d.calls.transfers.replace(leg, replaces, { customer: tenant.id, newcomerExtension: caller.number, plan: { transfer: this.transferPolicy(tenant) } });
    if (refused) return res.send(refused.status);
    class5Metrics(this.d.calls.registry).class5Calls.inc({ tenant: tenant.id, outcome: 'replaces' });
  }

  /**
   * Transfers by this tenant's extensions (features/transfer.ts decides; the engine carries it out):
   * a blind transfer's new call is placed like a call the transferee made, with the transferor's
   * class of service, and can itself be transferred.
   */
  transferPolicy(tenant: Tenant): TransferPolicy {
    const policy: TransferPolicy = (r) => {
      const transferor = r.transferor ? tenant.extensions.get(r.transferor) : undefined;
      const t = transferTarget({ tenant, transferor: transferor && this.effective(tenant, transferor), referTo: r.referTo, tenantOf: (h) => this.d.tenants.byDomain(h), emergency: new Set(this.d.emergency.numbers) });
      if (t.kind === 'refuse') return t;
      if (t.kind === 'attended') return { kind: 'attended', replaces: t.replaces, target: t.number };
      const transfereeExt = r.transfereeExtension ? tenant.extensions.get(r.transfereeExtension) : undefined;
      const calling = r.transfereeNumber ?? r.transfereeExtension;
      const fromUri = transfereeExt ? `sip:${transfereeExt.number}@${tenant.domain}` : undefined;
      const parties = { caller: transfereeExt?.number, callee: t.result.kind === 'extension' ? t.number : undefined };
      const callId = randomUUID();
      // A PSTN transferee (a DID caller on an ISUP circuit) stays on its circuit: the new call starts there.
      const fromPstn = r.transfereeKind === 'isup';
      let plan: CallPlan;
      if (t.result.kind === 'extension') {
        plan = this.extensionPlan(tenant, t.result.extension, { called: t.number, calling }, fromPstn ? 'isup-to-sip' : 'sip-to-sip', { hops: 0, fromUri });
      } else if (t.result.kind === 'hunt') {
        plan = this.huntPlan(tenant, t.result.group, { called: t.number, calling }, fromUri ?? `sip:${calling ?? 'anonymous'}@${tenant.domain}`, fromPstn ? 'isup-to-sip' : 'sip-to-sip');
      } else {
        const over = this.d.limits?.(tenant.id, e164Of(t.number));
        if (over) return { kind: 'refuse', status: over.sipStatus, why: `tenant limit ${over.limit}` };
        const pstnCalling = (transfereeExt?.callerId ?? tenant.config.mainNumber ?? calling ?? '').replace(/^\+1?/, '');
        plan = lcrPlan(this.d.router, this.d.isupLegs, callId, { party: { called: t.number, calling: pstnCalling || undefined }, customer: tenant.id, direction: fromPstn ? 'isup-to-isup' : 'sip-to-isup' });
      }
      if (plan.refuse) return { kind: 'refuse', status: plan.refuse.sipStatus ?? sipStatusForCause(plan.refuse.cause), why: plan.refuse.why };
      return { kind: 'blind', target: t.number, callId, plan: { ...plan, cdr: { ...plan.cdr, customer: tenant.id }, parties, transfer: policy } };
    };
    return policy;
  }

  /**
   * A number dialled on an analogue line bound to an extension (lines/line-service.ts): the dial
   * plan as if the extension had sent an INVITE (class of service, extensions, hunt groups,
   * emergency, PSTN through the LCR). Star codes are not taken from lines. Returns the Q.850 cause
   * when the call is refused before any leg exists.
   */
  lineCall(line: { tenant: string; extension: string }, dialled: string, makeLeg: (party: CallParty) => OriginatingLeg, callId: string): { refused?: number } {
    const tenant = this.d.tenants.byId(line.tenant);
    const configured = tenant?.extensions.get(line.extension);
    const log = this.log.child({ tenant: line.tenant, caller: line.extension, line: true });
    if (!tenant || !configured) {
      log.warn('a line is bound to an extension that does not exist; check class5.lines');
      return { refused: 1 };
    }
    const count = (outcome: string) => class5Metrics(this.d.calls.registry).class5Calls.inc({ tenant: tenant.id, outcome });
    if (this.d.calls.isDraining) return count('draining'), { refused: 41 };
    if (parseFeatureCode(dialled, this.d.starCodes)) {
      log.info({ dialled }, 'star code dialled on a line: not supported on lines');
      return count('feature-refused'), { refused: 1 };
    }
    const caller = this.effective(tenant, configured);
    const result = dial(tenant, caller, dialled, new Set(this.d.emergency.numbers));
    if (result.kind === 'refuse') {
      log.info({ dialled, why: result.why }, 'line call refused by the dial plan');
      return count(result.status === 404 ? 'no-such-extension' : 'barred'), { refused: result.cause };
    }
    const over = result.kind === 'emergency' ? undefined : this.d.limits?.(tenant.id, result.kind === 'pstn' ? e164Of(result.number) : undefined);
    if (over) return count(`fraud-${over.limit}`), { refused: over.cause };
    const restricted = caller.features.blockCallerId;
    const callerAor = `sip:${caller.number}@${tenant.domain}`;
    const pstnCalling = (caller.callerId ?? tenant.config.mainNumber ?? caller.number).replace(/^\+1?/, '');
    let plan: CallPlan;
    let party: CallParty;
    if (result.kind === 'extension') {
      party = { called: result.number, calling: caller.number, callingRestricted: restricted };
      plan = this.extensionPlan(tenant, result.extension, party, 'line-to-sip', restricted ? { hops: 0, headers: { From: ANONYMOUS_FROM, Privacy: 'id' }, anonymous: true } : { hops: 0, fromUri: callerAor });
    } else if (result.kind === 'hunt') {
      party = { called: result.number, calling: caller.number, callingRestricted: restricted };
      plan = { ...this.huntPlan(tenant, result.group, party, restricted ? ANONYMOUS_FROM : callerAor), direction: 'line-to-sip' };
    } else if (result.kind === 'emergency') {
      party = { called: result.number, calling: pstnCalling, callingRestricted: false };
      plan = { ...this.emergencyPlan(tenant, party, callId), direction: 'line-to-isup' };
    } else {
      party = { called: result.number, calling: pstnCalling, callingRestricted: restricted };
      plan = lcrPlan(this.d.router, this.d.isupLegs, callId, { party, customer: tenant.id, direction: 'line-to-isup' });
    }
    count(`line-${result.kind}`);
    this.d.calls.start(makeLeg(party), { ...plan, cdr: { ...plan.cdr, customer: tenant.id } }, callId);
    return {};
  }

  /** The extension with its star-code settings applied. */
  private effective(tenant: Tenant, ext: ExtensionConfig): ExtensionConfig {
    return this.d.settings ? effectiveExtension(ext, this.d.settings.get(tenant.id, ext.number)) : ext;
  }

  /** Emergency: the configured trunk groups in order, else the LCR; the number as dialled. */
  private emergencyPlan(tenant: Tenant, party: CallParty, callId: string): CallPlan {
    const tgs = this.d.emergency.trunkGroups;
    if (tgs.length === 0) return lcrPlan(this.d.router, this.d.isupLegs, callId, { party, customer: tenant.id, direction: 'sip-to-isup' });
    return {
      destinations: tgs.map((tg) => ({
        label: `emergency/${tg}`,
        trunkGroup: tg,
        leg: () => new IsupOutgoingLeg(this.d.isupLegs, tg, { called: party.called, calling: party.calling, callingNai: 3, callingRestricted: false }, callId),
      })),
      // Any failure short of an answer tries the next trunk group.
      advanceOn: () => true,
      direction: 'sip-to-isup',
      cdr: { customer: tenant.id, routedNumber: party.called },
    };
  }

  private readonly huntStart = new Map<string, number>();

  /** A hunt group's steps (features/hunt.ts) as destinations; busy, no answer and unreachable members move on. */
  huntPlan(tenant: Tenant, group: HuntGroup, party: CallParty, fromUri: string, direction: CallDirection = 'sip-to-sip'): CallPlan {
    const key = `${tenant.id}\n${group.number}`;
    const contactsOf = (m: string) => this.d.registrar.lookup(tenant.id, `sip:${m}@${tenant.domain}`).map((b) => b.contact);
    const decision = huntDecision(group, { start: this.huntStart.get(key) ?? 0, available: (m) => contactsOf(m).length > 0 });
    this.huntStart.set(key, decision.nextStart);
    const cdr = { customer: tenant.id, routedNumber: group.number };
    if (decision.steps.length === 0) return { refuse: { cause: 20, why: `no member of hunt group ${group.number} is registered` }, destinations: [], advanceOn: () => false, direction, cdr };
    const destinations: Destination[] = decision.steps.map((members) => ({
      label: `hunt ${group.number}: ${members.join('+')}`,
      leg: () => this.ring(members.flatMap(contactsOf), party, fromUri, group.ringS * 1000),
    }));
    return { destinations, direction, cdr, advanceOn: (f) => busy(f) || noAnswer(f) || !!f.unreachable || f.sipStatus === 480 || f.sipStatus === 408 };
  }

  /** PSTN → DID → extension or hunt group: its plan, or undefined when the number is no tenant's DID. */
  didPlan(dialled: string, party: CallParty): CallPlan | undefined {
    const hit = this.d.tenants.did(dialled);
    if (!hit) return undefined;
    class5Metrics(this.d.calls.registry).class5Calls.inc({ tenant: hit.tenant.id, outcome: 'did' });
    // The PSTN caller's identity as for any DID delivery (RFC 3325 P-Asserted-Identity, RFC 3323 privacy).
    const identity = sipIdentityFor(party, this.d.mediaAddress);
    if (hit.huntGroup) return this.huntPlan(hit.tenant, hit.huntGroup, party, identity.from, 'isup-to-sip');
    if (!hit.extension) return undefined;
    const plan = this.extensionPlan(hit.tenant, hit.extension, party, 'isup-to-sip', { hops: 0, fromUri: identity.from, headers: identity.headers, anonymous: isAnonymous({ party }) });
    return { ...plan, parties: { callee: hit.extension.number }, transfer: this.transferPolicy(hit.tenant) };
  }

  /** The terminating plan of an extension: its contacts, then what busy / no answer / unreachability lead to. */
  extensionPlan(tenant: Tenant, configured: ExtensionConfig, party: CallParty, direction: CallDirection, o: { hops: number; fromUri?: string; headers?: Record<string, string>; anonymous?: boolean }): CallPlan {
    const ext = this.effective(tenant, configured);
    const aor = `sip:${ext.number}@${tenant.domain}`;
    const contacts = this.d.registrar.lookup(tenant.id, aor);
    const line = this.d.lines?.legFor(tenant.id, ext.number);
    const cdr = { customer: tenant.id, routedNumber: ext.number };
    // RFC 5079: 433 Anonymity Disallowed (Q.850 24, call rejected due to a feature at the destination).
    if (ext.features.rejectAnonymous && o.anonymous) return { refuse: { cause: 24, sipStatus: 433, why: `extension ${ext.number} rejects anonymous calls` }, destinations: [], advanceOn: () => false, direction, cdr };
    const decision: TerminatingDecision = terminatingDecision(ext, tenant.config, { registered: contacts.length > 0 || line !== undefined || ext.features.followMe !== undefined, hops: o.hops });
    if (decision.refuse) return { refuse: { cause: decision.refuse.cause, sipStatus: decision.refuse.status, why: `extension ${ext.number}: ${decision.refuse.status}` }, destinations: [], advanceOn: () => false, direction, cdr };
    let last: LegFailure | undefined;
    const redirectFor = (f: LegFailure | undefined): Redirect | undefined => {
      if (!f) return undefined;
      if (busy(f)) return decision.onBusy;
      if (noAnswer(f)) return decision.onNoAnswer;
      if (f.unreachable || f.sipStatus === 480 || f.sipStatus === 408) return decision.onNoAnswer && { ...decision.onNoAnswer, reason: 'unavailable', cause: 480 };
      return undefined;
    };
    if (ext.features.followMe && !decision.immediate) return this.followMePlan(tenant, ext, contacts.map((c) => c.contact), party, direction, o, decision);
    const destinations: Destination[] = [];
    if (decision.immediate) {
      const r = decision.immediate;
      destinations.push({ label: `${r.reason}:${r.target}`, leg: () => this.redirectLeg(tenant, aor, r, party, o) });
    } else {
      destinations.push({
        label: `${aor} (${contacts.length} contact${contacts.length === 1 ? '' : 's'}${line ? ' and its line' : ''})`,
        leg: () => {
          if (!line) return this.ring(contacts.map((c) => c.contact), party, o.fromUri, decision.noAnswerMs, o.headers);
          // The line rings with the extension's registered phones (if any); first answer wins.
          const lineLeg = new TimedLeg(line(), this.d.clock, decision.noAnswerMs ?? this.d.lines!.ringMs);
          if (contacts.length === 0) return lineLeg;
          return new ForkLeg([this.ring(contacts.map((c) => c.contact), party, o.fromUri, decision.noAnswerMs, o.headers), lineLeg]);
        },
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

  /**
   * Find-me-follow-me (features/hunt.ts followMeSteps): the extension's phones and its numbers one
   * step after another, or all in one fork (first answer wins, the others get CANCEL with
   * "Call completed elsewhere"); each leg rings for its own time. Another extension rings its
   * registered phones; any other number goes out through the LCR. Afterwards, voicemail if the
   * extension has it. Numbers that cannot ring now (an unregistered extension, no route) are skipped.
   */
  private followMePlan(tenant: Tenant, ext: ExtensionConfig, phones: string[], party: CallParty, direction: CallDirection, o: { fromUri?: string; headers?: Record<string, string>; hops: number }, decision: TerminatingDecision): CallPlan {
    const fm = ext.features.followMe!;
    const aor = `sip:${ext.number}@${tenant.domain}`;
    const cdr = { customer: tenant.id, routedNumber: ext.number };
    const ringSOf = (n: string) => fm.targets.find((t) => t.number === n)?.ringS ?? 20;
    // A PSTN leg presents the caller when it is a PSTN number, else the tenant's main number.
    const pstnCalling = party.calling && party.calling.length >= 10 ? party.calling : (tenant.config.mainNumber ?? party.calling)?.replace(/^\+1?/, '');
    const legFor = (member: string): (() => TerminatingLeg) | undefined => {
      if (member === 'self') return phones.length ? () => this.ring(phones, party, o.fromUri, fm.phonesRingS * 1000, o.headers) : undefined;
      const other = tenant.extensions.get(member);
      if (other) {
        const uris = this.d.registrar.lookup(tenant.id, `sip:${other.number}@${tenant.domain}`).map((b) => b.contact);
        return uris.length ? () => this.ring(uris, party, o.fromUri, ringSOf(member) * 1000, o.headers) : undefined;
      }
      const first = lcrPlan(this.d.router, this.d.isupLegs, randomUUID(), { party: { ...party, called: member, calling: pstnCalling }, customer: tenant.id, direction: 'sip-to-isup' }).destinations[0];
      return first ? () => new TimedLeg(first.leg(), this.d.clock, ringSOf(member) * 1000) : undefined;
    };
    const destinations: Destination[] = [];
    for (const step of followMeSteps(fm.ringPhones, fm.targets.map((t) => t.number), fm.mode === 'simultaneous')) {
      const makers = step.flatMap((m) => legFor(m) ?? []);
      if (makers.length === 0) continue;
      destinations.push({ label: `follow-me ${ext.number}: ${step.join('+')}`, leg: () => (makers.length === 1 ? makers[0]() : new ForkLeg(makers.map((m) => m()))) });
    }
    const vm = decision.onNoAnswer;
    if (vm) destinations.push({ label: `${aor} follow-me exhausted: ${vm.target}`, leg: () => this.redirectLeg(tenant, aor, vm, party, o) });
    if (destinations.length === 0) return { refuse: { cause: 20, sipStatus: 480, why: `extension ${ext.number}: no follow-me number can ring now` }, destinations: [], advanceOn: () => false, direction, cdr };
    return { destinations, direction, cdr, advanceOn: (f) => busy(f) || noAnswer(f) || !!f.unreachable || f.sipStatus === 480 || f.sipStatus === 408 || f.cause === 34 || f.cause === 3 };
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
