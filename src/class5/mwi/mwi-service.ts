/**
 * Message waiting over SIP: devices of extensions SUBSCRIBE to their own mailbox's
 * message-summary (RFC 6665, RFC 3842) and get a NOTIFY with its state at once and on every
 * change; the tenant's voicemail server NOTIFYs us (its configured address is its credential)
 * and we relay the summary to every registered device of the mailbox: inside the subscription
 * dialogs, and as unsolicited NOTIFYs to registered contacts with none when `mwi.unsolicited`.
 */
import { randomBytes } from 'node:crypto';
import type { Clock, TimerHandle } from '../../util/clock.js';
import type { Logger } from '../../util/log.js';
import type { InboundRequest, RequestResponder, SignallingPort } from '../../sip/port.js';
import { parseNameAddr, parseUri } from '../../sip/header-values.js';
import type { Registrar } from '../registrar.js';
import type { RegistrarService } from '../registrar-service.js';
import type { Tenant, TenantDirectory } from '../tenants.js';
import { voicemailHosts } from '../admission.js';
import { Registry } from 'prom-client';
import { class5Metrics } from '../metrics.js';
import { formatMessageSummary, MESSAGE_SUMMARY_EVENT, MESSAGE_SUMMARY_TYPE, parseMessageSummary, type MessageSummary } from './message-summary.js';
import { subscriptionExpires, subscriptionId, SubscriptionTable, type ExpiryLimits, type Subscription } from './subscriptions.js';

export interface MwiOptions extends ExpiryLimits {
  /** Also NOTIFY registered contacts that hold no subscription (out of dialog, as many PBX phones expect). */
  unsolicited: boolean;
  maxPerMailbox: number;
  maxSubscriptions: number;
}

export interface MwiDeps {
  sip: SignallingPort;
  tenants: TenantDirectory;
  registrar: Registrar;
  service: RegistrarService;
  clock: Clock;
  logger: Logger;
  /** Our Contact URI for the subscription dialogs (RFC 6665 §4.2.1.1: the 200 and every NOTIFY carry one). */
  contact: string;
  options: MwiOptions;
  /** Where subscriptions and NOTIFYs are counted (the switch's registry; default: one of its own). */
  registry?: Registry;
}

const eventPackage = (value: string | undefined) => (value ?? '').split(';')[0].trim().toLowerCase();
const hostPort = (uri: string) => {
  const u = parseUri(uri);
  return u ? `${u.host}:${u.port ?? 5060}` : '';
};

export class MwiService {
  private readonly log: Logger;
  private readonly table: SubscriptionTable;
  private readonly timers = new Map<string, TimerHandle>();
  /** The last summary per mailbox (`tenant\nextension`), for the first NOTIFY of a new subscription. */
  private readonly state = new Map<string, MessageSummary>();
  private readonly vmHosts: ReadonlySet<string>;

  private readonly m: ReturnType<typeof class5Metrics>;

  constructor(private readonly d: MwiDeps) {
    this.m = class5Metrics(d.registry ?? new Registry());
    this.log = d.logger.child({ component: 'mwi' });
    this.table = new SubscriptionTable({ maxPerMailbox: d.options.maxPerMailbox, maxTotal: d.options.maxSubscriptions });
    this.vmHosts = voicemailHosts(d.tenants);
  }

  listen(): void {
    this.d.sip.onRequest('SUBSCRIBE', (req, res) => this.onSubscribe(req, res));
    this.d.sip.onRequest('NOTIFY', (req, res) => this.onNotify(req, res));
  }

  get subscriptions(): readonly Subscription[] {
    return this.table.all();
  }

  /** The summary devices of a mailbox see now. */
  summaryOf(tenant: Tenant, mailbox: string): MessageSummary {
    return this.state.get(`${tenant.id}\n${mailbox}`) ?? { waiting: false, account: `sip:${mailbox}@${tenant.domain}`, counts: {} };
  }

  // ---- SUBSCRIBE (RFC 6665 §4.2.1) ------------------------------------------------------------

  private onSubscribe(req: InboundRequest, res: RequestResponder): void {
    // §4.2.1: an event package we do not serve is 489 with the ones we do.
    if (eventPackage(req.get('event')) !== MESSAGE_SUMMARY_EVENT) return res.send(489, 'Bad Event', { headers: { 'Allow-Events': MESSAGE_SUMMARY_EVENT } });
    const accept = req.getAll('accept');
    if (accept.length > 0 && !accept.some((a) => a.split(';')[0].trim().toLowerCase() === MESSAGE_SUMMARY_TYPE)) return res.send(406, 'Not Acceptable', { headers: { Accept: MESSAGE_SUMMARY_TYPE } });
    const expires = subscriptionExpires(req.get('expires'), this.d.options);
    if (!expires.ok) return res.send(expires.status, undefined, { headers: expires.headers });
    if (req.to.tag) return this.inDialog(req, res, expires.expiresS);

    const tenant = this.d.tenants.byDomain(parseUri(req.from.uri)?.host ?? '');
    if (!tenant) return res.send(403, 'Forbidden (unknown domain)');
    const auth = this.d.service.authenticate(req, tenant, req.from.user);
    if (!auth.ok) return res.send(auth.status, undefined, { headers: auth.headers });
    // A device sees its own mailbox only (tenant isolation, and one extension's box is not another's).
    const mailbox = req.calledNumber || req.to.user;
    const resourceHost = parseUri(req.uri)?.host;
    if (mailbox !== auth.extension.number || (resourceHost !== undefined && this.d.tenants.byDomain(resourceHost) && resourceHost !== tenant.domain)) {
      this.log.warn({ tenant: tenant.id, subscriber: auth.extension.number, resource: req.uri }, 'SUBSCRIBE to another mailbox refused');
      return res.send(403, 'Forbidden (not your mailbox)');
    }
    const aor = `sip:${mailbox}@${tenant.domain}`;
    if (this.d.registrar.lookup(tenant.id, aor).length === 0) return res.send(403, 'Forbidden (register first)');
    const contact = parseNameAddr(req.get('contact') ?? '')?.uri;
    if (!contact || !parseUri(contact)) return res.send(400, 'Bad Request (Contact)');
    if (!req.from.tag) return res.send(400, 'Bad Request (From tag)');

    const localTag = randomBytes(6).toString('hex');
    const toHeader = `<${req.to.uri}>;tag=${localTag}`;
    const summary = this.summaryOf(tenant, mailbox);
    if (expires.expiresS === 0) {
      // §4.4.3: a fetch: 200, then one NOTIFY with the state and the subscription terminated.
      res.send(200, undefined, { headers: { To: toHeader, Expires: '0', Contact: `<${this.d.contact}>` } });
      const once = { id: subscriptionId(req.callId, localTag, req.from.tag), tenant: tenant.id, mailbox, callId: req.callId, localTag, remoteTag: req.from.tag, localUri: req.to.uri, remoteUri: req.from.uri, remoteTarget: contact, source: { address: req.sourceAddress, port: req.sourcePort }, expiresAt: 0, cseq: 0 };
      return void this.notify(once, summary, 'terminated;reason=timeout');
    }
    const sub = this.table.add({
      tenant: tenant.id,
      mailbox,
      callId: req.callId,
      localTag,
      remoteTag: req.from.tag,
      localUri: req.to.uri,
      remoteUri: req.from.uri,
      remoteTarget: contact,
      source: { address: req.sourceAddress, port: req.sourcePort },
      expiresAt: this.d.clock.now() + expires.expiresS * 1000,
    });
    if (typeof sub === 'string') {
      this.log.warn({ tenant: tenant.id, mailbox, why: sub }, 'SUBSCRIBE refused: subscription bound reached');
      return res.send(503, 'Service Unavailable (subscriptions)', { headers: { 'Retry-After': '60' } });
    }
    this.m.mwiSubscriptions.set(this.table.size);
    this.arm(sub);
    res.send(200, undefined, { headers: { To: toHeader, Expires: String(expires.expiresS), Contact: `<${this.d.contact}>` } });
    this.log.debug({ tenant: tenant.id, mailbox, expiresS: expires.expiresS }, 'message-summary subscription created');
    // §4.2.1.1: the first NOTIFY follows the 200 at once, with the current state.
    void this.notify(sub, summary, `active;expires=${expires.expiresS}`);
  }

  /**
   * A refresh or an unsubscribe inside the subscription's dialog (§4.1.2.2, §4.1.2.3). The dialog
   * identifiers we chose are the credential here: the subscriber authenticated when it was created.
   */
  private inDialog(req: InboundRequest, res: RequestResponder, expiresS: number): void {
    const sub = this.table.get(subscriptionId(req.callId, req.to.tag ?? '', req.from.tag ?? ''));
    if (!sub) return res.send(481, 'Subscription Does Not Exist');
    const contact = parseNameAddr(req.get('contact') ?? '')?.uri;
    if (contact && parseUri(contact)) sub.remoteTarget = contact;
    sub.source = { address: req.sourceAddress, port: req.sourcePort };
    const tenant = this.d.tenants.byId(sub.tenant);
    const summary = tenant ? this.summaryOf(tenant, sub.mailbox) : { waiting: false, counts: {} };
    res.send(200, undefined, { headers: { To: `<${sub.localUri}>;tag=${sub.localTag}`, Expires: String(expiresS), Contact: `<${this.d.contact}>` } });
    if (expiresS === 0) {
      this.end(sub);
      void this.notify(sub, summary, 'terminated;reason=timeout');
      return;
    }
    sub.expiresAt = this.d.clock.now() + expiresS * 1000;
    this.arm(sub);
    void this.notify(sub, summary, `active;expires=${expiresS}`);
  }

  private arm(sub: Subscription): void {
    this.d.clock.clearTimeout(this.timers.get(sub.id));
    this.timers.set(
      sub.id,
      this.d.clock.setTimeout(() => {
        this.timers.delete(sub.id);
        if (this.table.get(sub.id) !== sub) return;
        this.end(sub);
        // §4.2.2: the notifier ends an expired subscription with a final NOTIFY.
        const tenant = this.d.tenants.byId(sub.tenant);
        if (tenant) void this.notify(sub, this.summaryOf(tenant, sub.mailbox), 'terminated;reason=timeout');
      }, Math.max(0, sub.expiresAt - this.d.clock.now())),
    );
  }

  private end(sub: Subscription): void {
    this.d.clock.clearTimeout(this.timers.get(sub.id));
    this.timers.delete(sub.id);
    this.table.remove(sub);
    this.m.mwiSubscriptions.set(this.table.size);
  }

  /** One NOTIFY inside a subscription's dialog; 481 or no answer ends the subscription (§4.1.3). */
  private async notify(sub: Subscription, summary: MessageSummary, state: string): Promise<void> {
    const r = await this.d.sip.request(sub.remoteTarget, {
      method: 'NOTIFY',
      inDialog: { callId: sub.callId, cseq: this.table.nextCSeq(sub) },
      headers: {
        From: `<${sub.localUri}>;tag=${sub.localTag}`,
        To: `<${sub.remoteUri}>;tag=${sub.remoteTag}`,
        Contact: `<${this.d.contact}>`,
        Event: MESSAGE_SUMMARY_EVENT,
        'Subscription-State': state,
        'Content-Type': MESSAGE_SUMMARY_TYPE,
      },
      body: formatMessageSummary(summary),
      timeoutMs: 8000,
    });
    this.m.mwiNotifies.inc({ kind: 'subscribed', status: String(r.status) });
    if (r.status >= 300 && this.table.get(sub.id) === sub && (r.status === 481 || r.status === 408 || r.status === 503)) {
      this.log.info({ mailbox: sub.mailbox, tenant: sub.tenant, status: r.status }, 'subscriber did not take a NOTIFY; subscription ended');
      this.end(sub);
    }
  }

  // ---- NOTIFY from a voicemail server ---------------------------------------------------------

  private onNotify(req: InboundRequest, res: RequestResponder): void {
    const refuse = (status: number, reason: string, why: string) => {
      this.m.mwiNotifies.inc({ kind: 'from-voicemail', status: String(status) });
      this.log.info({ source: req.sourceAddress, status, why }, 'voicemail NOTIFY refused');
      res.send(status, reason);
    };
    if (!this.vmHosts.has(req.sourceAddress)) return refuse(403, 'Forbidden (not a voicemail server)', 'source is no tenant voicemail server');
    if (eventPackage(req.get('event')) !== MESSAGE_SUMMARY_EVENT) {
      this.m.mwiNotifies.inc({ kind: 'from-voicemail', status: '489' });
      return res.send(489, 'Bad Event', { headers: { 'Allow-Events': MESSAGE_SUMMARY_EVENT } });
    }
    const parsed = parseMessageSummary(req.body);
    if (!parsed.ok) return refuse(400, `Bad Request (${parsed.error.replace(/[\r\n]/g, ' ').slice(0, 60)})`, parsed.error);
    // The mailbox: Message-Account when given (RFC 3842 §5.2), else the Request-URI, else To.
    const target = [parsed.summary.account, req.uri, req.to.uri].map((u) => (u ? parseUri(u.replace(/^<|>$/g, '')) : undefined)).find((u) => u?.user);
    const candidates = this.d.tenants.all().filter((t) => t.config.voicemail && parseUri(t.config.voicemail)?.host === req.sourceAddress);
    const tenant = candidates.find((t) => t.domain === target?.host?.toLowerCase()) ?? (candidates.length === 1 ? candidates[0] : undefined);
    if (!tenant || !target) return refuse(404, 'Not Found (mailbox)', 'no mailbox named');
    const mailbox = target.user;
    if (!tenant.extensions.has(mailbox)) return refuse(404, 'Not Found (mailbox)', `no extension ${mailbox} in tenant ${tenant.id}`);
    this.m.mwiNotifies.inc({ kind: 'from-voicemail', status: '200' });
    res.send(200);
    const aor = `sip:${mailbox}@${tenant.domain}`;
    const summary: MessageSummary = { ...parsed.summary, account: aor };
    this.state.set(`${tenant.id}\n${mailbox}`, summary);
    this.relay(tenant, mailbox, summary);
  }

  private relay(tenant: Tenant, mailbox: string, summary: MessageSummary): void {
    const subs = this.table.ofMailbox(tenant.id, mailbox);
    for (const sub of subs) void this.notify(sub, summary, `active;expires=${Math.max(1, Math.round((sub.expiresAt - this.d.clock.now()) / 1000))}`);
    if (!this.d.options.unsolicited) return;
    const aor = `sip:${mailbox}@${tenant.domain}`;
    const covered = new Set(subs.flatMap((s) => [hostPort(s.remoteTarget), `${s.source.address}:${s.source.port}`]));
    for (const b of this.d.registrar.lookup(tenant.id, aor)) {
      if (covered.has(hostPort(b.contact))) continue;
      void this.d.sip
        .request(b.contact, {
          method: 'NOTIFY',
          headers: { From: `<${aor}>`, To: `<${aor}>`, Contact: `<${this.d.contact}>`, Event: MESSAGE_SUMMARY_EVENT, 'Subscription-State': 'active', 'Content-Type': MESSAGE_SUMMARY_TYPE },
          body: formatMessageSummary(summary),
          timeoutMs: 8000,
          // RFC 3327 §5.3: toward a contact registered through proxies, by the Path it registered with.
          route: b.path.length > 0 ? b.path : undefined,
        })
        .then((r) => this.m.mwiNotifies.inc({ kind: 'unsolicited', status: String(r.status) }));
    }
  }

  close(): void {
    for (const t of this.timers.values()) this.d.clock.clearTimeout(t);
    this.timers.clear();
  }
}
