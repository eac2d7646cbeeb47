/**
 * Assembles the running switch from its configuration: store, routing, SIGTRAN/ISUP, media
 * gateway control, SIP, call handling and the admin API. `stop()` drains calls and closes
 * everything in order. The lab profile (src/app/lab) wraps it; nothing here imports the lab.
 */
import { SqliteCallJournal } from '../store/call-journal.js';
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/schema.js';
import { CpuPlacement } from './cpu-placement.js';
import type { TrunkGroupConfig } from '../class4/trunks/config.js';
import { systemClock, type Clock } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import { openDatabase } from '../store/database.js';
import { SqliteFeatureSettings } from '../store/feature-settings.js';
import { CdrStore } from '../store/cdr-store.js';
import { StoreGuard } from '../store/store-guard.js';
import { createSwitchRegistry } from '../util/metrics.js';
import { openStore } from '../store/open.js';
import type { CdrRepository, SwitchStore } from '../store/store.js';
import { reportStateOf } from './state-metrics.js';
import { RedisClusterState } from '../cluster/redis-state.js';
import { SharedRegistrations } from '../cluster/registrations.js';
import { ownTrunkGroups } from '../cluster/cic-ranges.js';
import { createApiServer } from '../api/server.js';
import { lcrRoutes } from '../api/routes-lcr.js';
import { circuitRoutes } from '../api/routes-circuits.js';
import { registrationRoutes } from '../api/routes-registrations.js';
import { callRoutes, isupPathOf } from '../api/routes-calls.js';
import { CallTrail } from '../calls/call-trail.js';
import { cdrRoutes } from '../api/routes-cdrs.js';
import { startClass5, type Class5 } from '../class5/index.js';
import { TenantDirectory } from '../class5/tenants.js';
import { TenantProvisioning, trunkDidOwner } from '../class5/provisioning.js';
import { tenantRoutes } from '../api/routes-tenants.js';
import { trunkCustomerRoutes } from '../api/routes-trunks.js';
import { TrunkProvisioning, tenantDidsIn } from '../class4/trunks/trunk-provisioning.js';
import { didTargetUris, followTrunkCustomers } from '../class4/trunks/provisioned-effects.js';
import { followProvisioning } from './provisioning-sync.js';
import { class5AdmissionHook } from '../class5/admission.js';
import { Class5CallIntake } from '../class5/call-intake.js';
import { claimInvites } from '../class5/invite-claim.js';
import { openLines, type LineService } from '../class5/lines/index.js';
import { RoutingEngine } from '../class4/routing/engine.js';
import { DeckVersions } from '../class4/routing/deck-versions.js';
import { DeckVersionStore, type DeckVersionRepository } from '../store/deck-versions.js';
import { PgDeckVersionStore } from '../store/pg-deck-versions.js';
import { LcrCallRouter } from '../class4/routing/call-router.js';
import { CallManager } from '../calls/manager.js';
import type { IsupLegDeps } from '../calls/legs/isup-deps.js';
import { TrunkIntake } from '../class4/intake/trunk-intake.js';
import { PstnIntake } from '../class4/intake/pstn-intake.js';
import { DidTable } from '../class4/trunks/dids.js';
import { TargetHealth } from '../class4/trunks/target-health.js';
import { OverloadGuard, shedNewInvites } from '../class4/admission/overload.js';
import { FraudGuard } from '../class4/admission/fraud.js';
import { TrunkCustomerTable } from '../class4/trunks/trunk-customers.js';
import { GatewayHealth } from '../class4/trunks/gateway-health.js';
import { endpointForCic } from '../class4/trunks/endpoint-map.js';
import { ContinuityLoops } from '../calls/continuity-loops.js';
import { continuityTone, ContinuityEvery } from '../calls/continuity-tone.js';
import { CircuitGroup } from '../ss7/isup/circuits.js';
import { IsupService } from '../ss7/isup/service.js';
import { AspTransferLink, type SgEndpoint } from '../ss7/links/asp-link.js';
import { connectSctpOverUdp } from '../ss7/sctp/udp-transport.js';
import { connectSctpRaw } from '../ss7/sctp/raw-transport.js';
import { pointCodeOf } from '../ss7/mtp3/point-code.js';
import { TrafficMode } from '../ss7/m3ua/constants.js';
import { covers, type DestinationChange } from '../ss7/m3ua/destinations.js';
import { SoftswitchError } from '../errors.js';
import { MgcpBearerPort } from '../mgcp/bearer.js';
import { BearerRouter } from '../mgcp/bearer-router.js';
import { openH248Bearer } from '../mgcp/h248/open.js';
import { releaseCallsOnGatewayDown, releaseCallsOnGatewayRestart } from '../calls/gateway-restart.js';
import type { BearerPort } from '../mgcp/bearer-port.js';
import type { SignallingPort } from '../sip/port.js';
import { EmbeddedSignallingPort } from '../sip/embedded-adapter.js';
import { readTlsFiles } from '../sip/tls-files.js';
import { DrachtioSignallingPort } from '../sip/drachtio-adapter.js';
import { openHepCapture } from '../sip/hep-capture.js';

export interface SoftswitchHandle {
  config: Config;
  api: FastifyInstance;
  apiPort: number;
  sipPort: number;
  sip: SignallingPort;
  calls: CallManager;
  cdrs: CdrRepository;
  store: SwitchStore;
  isup: IsupService;
  link: AspTransferLink;
  routing: RoutingEngine;
  bearer?: BearerPort;
  /** Circuits looped for a continuity check now (absent without gateways). */
  continuity?: ContinuityLoops;
  /** This switch's Prometheus registry (served at /metrics). */
  registry: Registry;
  /** Class 5 (tenants, registrar, MWI) when `class5.enabled`. */
  class5?: Class5;
  /** Analogue lines on residential gateways (`class5.lines`), when configured. */
  lines?: LineService;
  stop(): Promise<void>;
}

/**
 * What an assembly around the switch (the lab profile) puts in place of configured parts:
 * the SGs to connect to, the media gateways, extra admin API routes, and what to stop after the switch.
 */
export interface SwitchOverrides {
  sgs?: SgEndpoint[];
  gateways?: Config['mgcp']['gateways'];
  apiPlugins?: Array<(app: FastifyInstance) => Promise<void> | void>;
  /** Stopped after the switch itself, in reverse order. */
  cleanup?: Array<() => Promise<void> | void>;
}

/**
 * Automatic congestion control (Q.764 §2.11.2, T1.113.4 §2.11): while the far exchange reports
 * congestion (ACL in REL), each reduction step withholds another quarter of the new calls offered to it.
 */
/**
 * The drachtio-server may start after the switch (both started by the init system): keep trying
 * for `startupWaitMs`, saying so, before giving up with SSW_ERR_DRACHTIO_UNAVAILABLE (the process
 * then exits and the init system restarts it).
 */
async function connectDrachtio(cfg: Config['sip']['drachtio'], logger: Logger): Promise<DrachtioSignallingPort> {
  const deadline = Date.now() + cfg.startupWaitMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await DrachtioSignallingPort.connect({ host: cfg.host, port: cfg.port, secret: cfg.secret, logger, connectTimeoutMs: 3000 });
    } catch (err) {
      if (!(err instanceof SoftswitchError) || err.code !== 'SSW_ERR_DRACHTIO_UNAVAILABLE' || Date.now() >= deadline) throw err;
      logger.warn({ attempt, host: cfg.host, port: cfg.port, err: err.message }, 'drachtio-server not reachable yet; retrying (sip.drachtio.startupWaitMs)');
      await new Promise((r) => setTimeout(r, Math.min(1000 * attempt, 5000)));
    }
  }
}

function offeredUnderCongestion(step: number): boolean {
  return step <= 0 || Math.random() >= Math.min(step, 4) * 0.25;
}

const TRAFFIC_MODES = { override: TrafficMode.OVERRIDE, loadshare: TrafficMode.LOADSHARE, broadcast: TrafficMode.BROADCAST } as const;

export async function startSoftswitch(config: Config, logger: Logger, clock: Clock = systemClock, overrides: SwitchOverrides = {}): Promise<SoftswitchHandle> {
  const cleanup: Array<() => Promise<void> | void> = [...(overrides.cleanup ?? [])];
  const stopAll = async () => {
    for (const fn of cleanup.splice(0).reverse()) {
      try {
        await fn();
      } catch (err) {
        logger.warn({ err }, 'error while stopping a component');
      }
    }
  };
  // One registry per switch, passed to every component (a second switch-side component in the
  // process, such as the lab's tandem simulator, counts into its own).
  const registry = createSwitchRegistry();
  try {
    // A node of a cluster works only its own CIC ranges (cluster.nodes).
    config = { ...config, trunkGroups: ownTrunkGroups(config.trunkGroups, config.cluster.nodes, config.node.name) };
    const store = await openStore(config.store, { dataDir: config.dataDir, node: config.node.name, logger });
    const { cdrs, journal } = store;
    // Node-local tables (rate deck versions, Class 5 feature settings): the embedded store's database,
    // or beside a shared PostgreSQL a SQLite file of this node's own.
    const db = store.db ?? openDatabase(join(config.dataDir, 'node-local.sqlite'));
    if (!store.db) cleanup.push(() => void db.close());
    // Calls that were up when this node's last run died: interrupted CDRs now (each written with the
    // removal of its journal record), their circuits reset once SS7 is up.
    const interrupted = await journal.recover(new Date(clock.now()));
    for (const cdr of interrupted) cdrs.write(cdr);
    await cdrs.flush();
    // Their circuits are among those reset (GRS) when the link comes up (resetOnLinkUp below).
    if (interrupted.length > 0) logger.warn({ calls: interrupted.length }, 'calls were up when the switch last stopped without a clean shutdown; recorded as interrupted CDRs, their circuits will be reset');
    // Disk full or read-only later on (embedded SQLite): CDRs spooled, the store retried, calls kept or
    // refused (`store.onWriteFailure`). A PostgreSQL store keeps and retries refused batches itself.
    const storeGuard =
      cdrs instanceof CdrStore
        ? new StoreGuard(cdrs, { ...config.store, spoolPath: config.store.spoolPath ?? join(config.dataDir, 'cdr-spool.jsonl') }, clock, logger.child({ component: 'store' }), registry)
        : undefined;
    if (storeGuard && cdrs instanceof CdrStore) {
      cdrs.onWriteError = (batch, err) => storeGuard.refused(batch, err);
      // The journal writes at the end of the turn (call-journal.ts): a refusal is reported from there.
      if (journal instanceof SqliteCallJournal) journal.onWriteError = (err) => storeGuard.report('call journal', err);
      storeGuard.start();
      cleanup.push(() => storeGuard.stop());
    }
    const guardedJournal = storeGuard
      ? { answered: (cdr: Parameters<typeof journal.answered>[0]) => storeGuard.attempt('call journal', () => void journal.answered(cdr)) }
      : journal;
    const beat = () =>
      journal.heartbeat(new Date(clock.now())).catch((err: Error) => {
        if (storeGuard) storeGuard.report('heartbeat', err);
        else logger.warn({ err: err.message }, 'store heartbeat not written (check the database)');
      });
    await beat();
    const heartbeat = setInterval(beat, 5000);
    heartbeat.unref();
    cleanup.push(() => clearInterval(heartbeat));
    cleanup.push(() => store.close());

    // --- Cluster-wide state (Redis): per-customer call counts, rate shares, registrations.
    let cluster: RedisClusterState | undefined;
    if (config.cluster.redis) {
      try {
        cluster = await RedisClusterState.connect(config.cluster.redis, config.node.name, logger);
      } catch (err) {
        throw new SoftswitchError('SSW_ERR_CLUSTER_REDIS', `${config.cluster.redis.url.replace(/\/\/[^@/]*@/, '//***@')}: ${(err as Error).message}`, { cause: err });
      }
      const c = cluster;
      cleanup.push(() => c.close());
      logger.info({ node: config.node.name, liveNodes: c.liveNodes }, 'cluster state shared through Redis');
    }

    const routing = await RoutingEngine.load(config.routing, { dataDir: config.dataDir, logger, registry });
    cleanup.push(() => routing.close());
    // Deck versions: this node's (SQLite) or, on a PostgreSQL store, the cluster's: bodies shared,
    // and each node follows the activations the others make.
    const deckStore: DeckVersionRepository = store.pgPool ? new PgDeckVersionStore(store.pgPool, config.node.name, logger.child({ component: 'lcr-versions' })) : new DeckVersionStore(db);
    cleanup.push(async () => deckStore.close?.());
    const deckVersions = new DeckVersions({ engine: routing, store: deckStore, dataDir: config.dataDir, logger });
    await deckVersions.followStore();

    const sgs: SgEndpoint[] = overrides.sgs ?? config.ss7.sgs.map((sg) => ({ ...sg, localAddress: config.ss7.m3ua.localAddress }));
    const gateways = overrides.gateways ?? config.mgcp.gateways;

    // --- Media gateway control: MGCP (RFC 3435) and H.248 (RFC 3525) gateways behind one bearer port,
    // chosen per gateway by the endpoint's domain (RFC 3435 §2.1.1; H.248 gateways by their configured domain).
    const h248Gateways = config.h248.gateways;
    const allGateways = [...gateways.map((g) => ({ name: g.name, domain: g.domain })), ...h248Gateways.map((g) => ({ name: g.name, domain: g.domain }))];
    config.trunkGroups.forEach((tg, i) => {
      if (!tg.gateway) return;
      const gw = allGateways.find((g) => g.name === tg.gateway);
      const endpoint = endpointForCic(tg, tg.cics.first);
      if (allGateways.length > 0 && !gw) throw new SoftswitchError('SSW_ERR_CONFIG_INVALID', `trunkGroups.${i}.gateway: no gateway "${tg.gateway}" in mgcp.gateways or h248.gateways`);
      if (gw && !endpoint.toLowerCase().endsWith(`@${gw.domain.toLowerCase()}`)) {
        throw new SoftswitchError('SSW_ERR_CONFIG_INVALID', `trunkGroups.${i}.endpoint: "${endpoint}" is not in the domain "${gw.domain}" of gateway ${gw.name}`);
      }
    });
    // Each call's SIP, ISUP and MGCP messages, for its ladder and pcap (GET /api/v1/calls/:id/trail).
    const trail = new CallTrail(config.calls.trail, clock);
    const tap = trail.enabled ? trail.tap : undefined;
    const ports: Array<{ port: BearerPort; domains: string[] }> = [];
    let mgcpPort: MgcpBearerPort | undefined;
    if (gateways.length > 0) {
      const mgcp = (mgcpPort = await MgcpBearerPort.open(gateways, { port: config.mgcp.localPort, address: config.mgcp.localAddress }, { log: logger, clock, policy: config.mgcp.retransmit, tap, registry }));
      ports.push({ port: mgcp, domains: gateways.map((g) => g.domain) });
    }
    if (h248Gateways.length > 0) {
      const h248 = await openH248Bearer(config.h248, { log: logger, clock, registry, tap });
      ports.push({ port: h248, domains: h248Gateways.map((g) => g.domain) });
    }
    let bearer: BearerPort | undefined;
    let gatewayHealth: GatewayHealth | undefined;
    if (ports.length > 0) {
      const router = new BearerRouter(ports);
      bearer = router;
      cleanup.push(() => router.close());
      // Each gateway is audited on the first circuit of a trunk group it serves.
      const monitored = allGateways.flatMap((g) => {
        const tg = config.trunkGroups.find((t) => t.gateway === g.name);
        return tg ? [{ name: g.name, probeEndpoint: endpointForCic(tg, tg.cics.first) }] : [];
      });
      gatewayHealth = new GatewayHealth(router, monitored, clock, logger.child({ component: 'gateway-health' }), config.mgcp.healthProbeMs, registry, config.mgcp.keepaliveMs);
      cleanup.push(() => gatewayHealth!.stop());
    }

    // --- SIGTRAN: one ASP per SG, ISUP over it.
    const variant = config.ss7.variant;
    const ownPointCode = pointCodeOf(config.ss7.localPointCode, variant, 'ss7.localPointCode');
    const m3ua = config.ss7.m3ua;
    const link = new AspTransferLink({
      sgs,
      connect: async (sg) => {
        const opts = { localAddress: sg.localAddress, localPort: sg.localPort, remoteAddress: sg.address, remotePort: sg.port, remoteSctpPort: sg.sctpPort, logger, clock, registry };
        return sg.transport === 'raw' ? connectSctpRaw(opts) : connectSctpOverUdp({ ...opts, ioThread: config.ss7.sctpIoThread });
      },
      asp: {
        routingContexts: m3ua.routingContext === undefined ? undefined : [m3ua.routingContext],
        trafficMode: TRAFFIC_MODES[m3ua.trafficMode],
        networkAppearance: m3ua.networkAppearance,
        beatIntervalMs: m3ua.beatIntervalMs,
        registry,
      },
      clock,
      logger,
    });
    cleanup.push(() => link.stop());
    const trunkGroups = new Map<string, TrunkGroupConfig>(config.trunkGroups.map((tg) => [tg.id, tg]));
    const continuityEvery = new ContinuityEvery();
    // Q.764 §2.1.8: an IAM asking for a continuity check has the circuit looped at its gateway until COT.
    const continuity = bearer
      ? new ContinuityLoops(bearer, (id, cic) => {
          const tg = trunkGroups.get(id);
          return tg?.gateway ? endpointForCic(tg, cic) : undefined;
        }, logger.child({ component: 'continuity' }), mgcpPort && continuityTone(mgcpPort, { clock, logger: logger.child({ component: 'continuity' }), registry }))
      : undefined;
    const isup = new IsupService({
      continuity: continuity && ((tg, cic, role) => continuity.check(tg.id, cic, role)),
      continuityEnd: continuity && ((tg, cic) => continuity.end(tg.id, cic)),
      link,
      // Q.764 §2.10.3.2: reset every circuit (GRS) when the link to the far end comes up: at start and after recovery.
      resetOnLinkUp: true,
      ownPointCode,
      networkIndicator: config.ss7.networkIndicator,
      logger,
      clock,
      tap,
      registry,
      trunkGroups: config.trunkGroups.map((tg) => {
        const farPointCode = pointCodeOf(tg.dpc, tg.variant, `trunkGroups.${tg.id}.dpc`);
        return {
          id: tg.id,
          variant: tg.variant,
          farPointCode,
          circuits: new CircuitGroup({
            id: tg.id,
            firstCic: tg.cics.first,
            count: tg.cics.count,
            ownPointCode,
            farPointCode,
            variant: tg.variant,
            selection: tg.circuitSelection,
            glareControl: tg.glareControl,
          }),
        };
      }),
    });
    cleanup.push(() => isup.close());
    // RFC 4666 §3.4.4: SCON from the SG gives a destination's congestion level (1..3); new calls toward it are reduced per level.
    const signallingCongestion = new Map<number, number>();
    link.on('destination', (c: DestinationChange) => {
      for (const tg of isup.trunkGroups) {
        if (!covers(c.pc, c.mask, tg.farPointCode)) continue;
        if (c.congestion > 0) signallingCongestion.set(tg.farPointCode, c.congestion);
        else signallingCongestion.delete(tg.farPointCode);
      }
    });
    // A trunk group is usable when its SS7 destination is reachable with an idle circuit and its gateway is up.
    const trunkGroupUsable = (tgId: string) => {
      const gw = trunkGroups.get(tgId)?.gateway;
      const tg = isup.trunkGroup(tgId);
      const scon = tg ? (signallingCongestion.get(tg.farPointCode) ?? 0) : 0;
      return isup.isAvailable(tgId) && (!gw || !gatewayHealth || gatewayHealth.isUp(gw)) && offeredUnderCongestion(Math.max(isup.congestionState(tgId).step, scon));
    };
    routing.setAvailability(trunkGroupUsable);
    link.start();
    reportStateOf(registry, { link, isup });

    // --- SIP. Requests from addresses that are no trunk customer are refused before any state is
    // kept (stateless 403 or silence, `sip.unknownSources`), and every source is rate-limited.
    const customers = new TrunkCustomerTable(config.trunkCustomers);
    const dids = new DidTable(config.trunkCustomers);
    // The overload guard (made below, once ISUP is up) also sheds new INVITEs statelessly at the SIP stack.
    let overloadGuard: OverloadGuard | undefined;
    const tenants = config.class5.enabled ? new TenantDirectory(config.class5) : undefined;
    // Tenants provisioned through the admin API, in service beside the file's before SIP opens.
    const provisioning = tenants && new TenantProvisioning({ repo: store.tenants, directory: tenants, configTenants: config.class5.tenants, clock, logger, dropRegistrations: (t, aor) => class5?.registrar.drop(t, aor) ?? 0, forgetFeatureSettings: (t, ext) => new SqliteFeatureSettings(db).clear(t, ext), didOwner: trunkDidOwner(dids) });
    if (provisioning) logger.info(await provisioning.load(), 'provisioned tenants loaded from the store');
    // Trunk customers and DIDs provisioned through the API, in service beside the file's (the file wins a clash).
    // Fraud limits and DID target probes follow each change once they exist (below).
    let trunksPublished: ((all: readonly Config['trunkCustomers'][number][]) => void) | undefined;
    const trunks = new TrunkProvisioning({ repo: store.trunks, configCustomers: config.trunkCustomers, customers, dids, clock, logger, onPublish: (all) => trunksPublished?.(all), otherDidOwner: provisioning && tenantDidsIn(() => provisioning.listTenants().flatMap((t) => provisioning.dids(t.id))) });
    logger.info(await trunks.load(), 'provisioned trunk customers loaded from the store');
    // On a shared PostgreSQL store another node may provision: its changes arrive by NOTIFY.
    const stopFollowing = await followProvisioning(store, { tenants: provisioning, trunks }, { pollMs: config.store.kind === 'postgres' ? config.store.provisioningPollMs : 0, logger, registry });
    if (stopFollowing) cleanup.push(stopFollowing);
    const sip: SignallingPort & { port?: number } =
      config.sip.adapter === 'drachtio'
        ? await connectDrachtio(config.sip.drachtio, logger)
        : await EmbeddedSignallingPort.create({
            address: config.sip.address,
            port: config.sip.port,
            transports: config.sip.transports,
            tls: config.sip.tls && readTlsFiles(config.sip.tls),
            stream: config.sip.stream,
            udpMaxRequestBytes: config.sip.udpMaxRequestBytes,
            udpIoThread: config.sip.udpIoThread,
            logger,
            clock,
            maxServerTransactions: config.sip.maxServerTransactions,
            maxDialogs: config.sip.maxDialogs,
            overloadRetryAfterS: config.sip.overloadRetryAfterS,
            admit: shedNewInvites(
              tenants
                ? class5AdmissionHook(tenants, (address) => customers.identify(address) !== undefined, config.sip.unknownSources, registry)
                : ({ address }) => (customers.identify(address) ? 'accept' : config.sip.unknownSources),
              () => overloadGuard,
            ),
            shedding: () => overloadGuard?.wouldRefuse() !== undefined,
            rateLimit: config.sip.rateLimit,
            maxCompletedTransactions: config.sip.maxCompletedTransactions,
            maxCompletedBytes: config.sip.maxCompletedBytes,
            maxUnacknowledgedFinals: config.sip.maxUnacknowledgedFinals,
            tap,
            registry,
            sessionTimer: config.sip.sessionTimer,
            dns: config.sip.dns,
          });
    cleanup.push(() => sip.close());
    const capture = config.sip.drachtio.capture;
    const viaDrachtio = sip instanceof DrachtioSignallingPort ? sip : undefined;
    if (viaDrachtio && capture && tap) {
      // drachtio-server's HEP3 copies of its SIP messages feed the call trail (src/sip/hep-capture.ts).
      const hep = await openHepCapture({ ...capture, allowFrom: config.sip.drachtio.host, tap, sipAddresses: () => viaDrachtio.sipAddresses, registry, log: logger.child({ component: 'hep-capture' }) });
      cleanup.push(() => hep.close());
    }

    // --- Class 5: tenants' extensions register here with digest authentication (src/class5).
    const sharedRegistrations = cluster && new SharedRegistrations(cluster.redis, config.cluster.redis!.keyPrefix, config.node.name, logger.child({ component: 'cluster' }));
    const class5 = config.class5.enabled ? startClass5(config.class5, { sip, clock, logger, tenants, registry, onRegistrationChange: sharedRegistrations?.changed, contact: `sip:${config.sip.address === '0.0.0.0' ? '127.0.0.1' : config.sip.address}:${sip.port ?? config.sip.port}` }) : undefined;
    if (class5) cleanup.push(() => class5.close());
    if (class5 && sharedRegistrations) {
      cleanup.push(() => sharedRegistrations.close());
      const loaded = await sharedRegistrations.attach(class5.registrar);
      logger.info({ aors: loaded }, 'registrations loaded from the cluster');
    }

    // --- Calls: the engine, and the Class 4 intakes that start calls on it (SIP trunks, the PSTN).
    const mediaAddress = config.sip.address === '0.0.0.0' ? '127.0.0.1' : config.sip.address;
    const fraud = new FraudGuard(
      [...trunks.inService().map((c) => ({ id: c.id, limits: c.limits })), ...config.fraud.tenants.map((t) => ({ id: t.tenant, limits: t.limits }))],
      config.fraud,
      clock,
      logger.child({ component: 'fraud' }),
      registry,
      cluster && (() => cluster!.rateShare()),
    );
    fraud.seed(await cdrs.ratedSince(new Date(clock.now() - 24 * 3_600_000).toISOString()));
    const fraudMetrics = setInterval(() => fraud.updateMetrics(), 10_000);
    fraudMetrics.unref();
    cleanup.push(() => clearInterval(fraudMetrics));
    const calls = new CallManager({ clock, logger, writeCdr: (cdr) => (cdrs.write(cdr), fraud.record(cdr)), maxCallDurationMs: config.calls.maxDurationS * 1000, journal: guardedJournal, trail: tap && trail, registry }, clock, cluster?.counts);
    const isupLegs: IsupLegDeps = {
      isup,
      bearer,
      trunkGroup: (id) => {
        const tg = trunkGroups.get(id);
        return tg && { variant: tg.variant, endpointFor: (cic: number) => (tg.gateway ? endpointForCic(tg, cic) : undefined), continuityCheck: () => continuityEvery.next(tg.id, tg.continuityCheckEvery ?? 0) };
      },
      usable: trunkGroupUsable,
      clock,
      logger,
      mediaAddress,
      trail: tap && trail,
    };
    if (bearer) cleanup.push(releaseCallsOnGatewayRestart(bearer, calls, logger));
    if (gatewayHealth) releaseCallsOnGatewayDown(gatewayHealth, (name) => allGateways.find((g) => g.name === name)?.domain, calls, logger);
    const overload = (overloadGuard = new OverloadGuard(config.overload, clock, logger.child({ component: 'overload' }), undefined, (level) => isup.setOwnCongestionLevel(level), registry));
    overload.refuseWhile('store-unavailable', () => storeGuard?.refusingCalls ?? false);
    if (sip instanceof EmbeddedSignallingPort) {
      overload.watchReceiveQueue(() => sip.receiveQueueDelayMs());
      const edge = sip.edgeShed;
      if (edge) {
        // New INVITEs are drawn against the receive-queue gate on the SIP I/O thread, before they cost this thread anything.
        overload.drawSipUpstream((p) => edge.publish(p));
        const fold = () => overload.countUpstreamRefusals(sip.foldEdgeShedCounts());
        const folding = setInterval(fold, 100);
        folding.unref();
        cleanup.push(() => {
          clearInterval(folding);
          fold();
        });
      }
    }
    overload.start();
    cleanup.push(() => overload.stop());
    if (config.runtime.eventLoopCpu !== undefined) {
      const placement = new CpuPlacement({ eventLoopCpu: config.runtime.eventLoopCpu, log: logger });
      await placement.start();
      cleanup.push(() => placement.stop());
    }
    const router = new LcrCallRouter(routing);
    // Analogue lines on residential MGCP gateways, bound to extensions (src/class5/lines).
    const lines: LineService | undefined = class5 ? openLines(config.class5, { mgcp: mgcpPort, bearer, clock, logger, registry, placeCall: (...a) => class5Calls!.lineCall(...a) }) : undefined;
    if (lines) cleanup.push(() => lines.close());
    const class5Calls = class5
      ? new Class5CallIntake({
          sip,
          calls,
          ...class5,
          router,
          isupLegs,
          clock,
          logger,
          mediaAddress,
          noResponseMs: config.calls.sipTargetNoResponseMs,
          answerTimeoutMs: config.calls.sipAnswerTimeoutMs,
          starCodes: config.class5.starCodes,
          emergency: config.class5.emergency,
          settings: new SqliteFeatureSettings(db),
          limits: (tenant, e164) => fraud.check(tenant, e164, calls.activeFor(tenant)),
          lines: lines && { legFor: (t, e) => lines.legFor(t, e), ringMs: config.class5.linesDefaults.ringS * 1000 },
        })
      : undefined;
    lines?.start();
    new TrunkIntake({ sip: class5Calls ? claimInvites(sip, class5Calls) : sip, calls, customers, router, isupLegs, logger, mediaAddress, overload, fraud }).listen();
    const targets = didTargetUris(trunks.inService());
    const probe = (uri: string) => sip.request(uri, { method: 'OPTIONS', timeoutMs: 2000 }).then((r) => r.status);
    const targetHealth = new TargetHealth(targets, probe, clock, logger.child({ component: 'did-targets' }), config.didHealth.probeIntervalMs, config.didHealth.downAfter, registry);
    targetHealth.start();
    cleanup.push(() => targetHealth.stop());
    // From now on a provisioning change also sets the customer's fraud limits and the watched DID targets
    // (applied once now for what changed while the guard and the probes were being made).
    trunksPublished = followTrunkCustomers(fraud, targetHealth, trunks.inService());
    trunksPublished(trunks.inService());
    const pstn = new PstnIntake({
      isup,
      calls,
      dids,
      isupLegs,
      router,
      logger,
      overload,
      transit: (id) => trunkGroups.get(id)?.transit ?? false,
      customer: (id) => customers.byId(id),
      extensionDid: class5Calls && ((dialled, party) => class5Calls.didPlan(dialled, party)),
      delivery: {
        sip,
        clock,
        logger,
        health: targetHealth,
        localHost: mediaAddress,
        noResponseMs: config.calls.sipTargetNoResponseMs,
        answerTimeoutMs: config.calls.sipAnswerTimeoutMs,
      },
    });
    pstn.listen();
    cleanup.push(() => pstn.close());

    // --- Admin API.
    const api = await createApiServer({
      logger,
      registry,
      config: config.api,
      lab: config.lab.enabled,
      dataDir: config.dataDir,
      cdrs,
      calls: () => calls.snapshot(),
      health: () => ({
        store: !storeGuard?.degraded,
        sigtran: link.status().some((s) => s.state === 'ASP_ACTIVE'),
        sip: true,
        ...Object.fromEntries((gatewayHealth?.status() ?? []).map((g) => [`gateway:${g.gateway}`, g.up])),
      }),
      ss7: () => ({ variant, localPointCode: config.ss7.localPointCode, signallingGateways: link.status() }),
      trunkGroups: () => ({
        trunkGroups: isup.trunkGroups.map((tg) => ({ id: tg.id, variant: tg.variant, dpc: trunkGroups.get(tg.id)?.dpc, gateway: trunkGroups.get(tg.id)?.gateway, available: trunkGroupUsable(tg.id), ...tg.circuits.counts() })),
        gateways: gatewayHealth?.status() ?? [],
        sipTargets: targetHealth.status(),
      }),
      plugins: [(app) => lcrRoutes(app, { engine: routing, maxDeckBytes: config.api.limits.deckBytes, versions: deckVersions }), (app) => circuitRoutes(app, { isup }), (app) => cdrRoutes(app, { cdrs }), (app) => callRoutes(app, { calls, trail, isupPath: (via) => isupPathOf(sgs, via) }), ...(class5 ? [(app: FastifyInstance) => registrationRoutes(app, { registrar: class5.registrar, now: () => clock.now() })] : []), ...(provisioning ? [(app: FastifyInstance) => tenantRoutes(app, { provisioning })] : []), (app) => trunkCustomerRoutes(app, { provisioning: trunks }), ...(overrides.apiPlugins ?? [])],
    });
    await api.listen({ host: config.api.host, port: config.api.port });
    cleanup.push(() => api.close());
    const apiPort = (api.server.address() as { port: number }).port;

    let stopped = false;
    return {
      config,
      api,
      apiPort,
      sipPort: sip.port ?? config.sip.port,
      sip,
      calls,
      cdrs,
      store,
      isup,
      link,
      routing,
      bearer,
      continuity,
      registry,
      class5,
      lines,
      async stop() {
        if (stopped) return;
        stopped = true;
        const left = await calls.drain(config.shutdown.drainMs);
        if (left > 0) logger.warn({ left }, 'calls still active after the drain period; closing anyway');
        await stopAll();
      },
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
