/**
 * docker/compose.cluster.yaml cannot be run here (no Docker engine): this checks what can be
 * checked without one — every file the compose file mounts or builds from is in the repository,
 * the switch configuration it mounts validates for each node it names, each node owns a CIC
 * range, Prometheus scrapes every node, and the Grafana dashboard asks for metrics the switch exports.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/load.js';
import { ownTrunkGroups } from '../../src/cluster/cic-ranges.js';
import { Registry } from 'prom-client';
import { ServerLocator } from '../../src/sip/locate/locator.js';
import { systemClock } from '../../src/util/clock.js';
import { dnsmasqMissing, startDnsmasq } from '../helpers/dnsmasq.js';

const dockerDir = resolve('docker');
const compose = parse(readFileSync(join(dockerDir, 'compose.cluster.yaml'), 'utf8')) as {
  services: Record<string, { build?: { context: string; dockerfile: string }; volumes?: string[]; environment?: Record<string, string>; image?: string; command?: string[] | string; networks?: Record<string, { ipv4_address?: string }> }>;
};
const services = compose.services;
const switchNodes = Object.entries(services).filter(([, s]) => s.environment?.SSW__node__name);

/** Host side of a bind mount ("./a:/b:ro"), resolved against the compose file's directory; undefined for named volumes. */
function hostPath(volume: string): string | undefined {
  const host = volume.split(':')[0];
  return host.startsWith('.') || host.startsWith('/') ? resolve(dockerDir, host) : undefined;
}

function allFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? allFiles(join(dir, f)) : [join(dir, f)]));
}

describe('two-node compose deployment', () => {
  it('has PostgreSQL, Redis, drachtio-server, Prometheus, Grafana and two switch nodes', () => {
    const images = Object.values(services).map((s) => s.image ?? '');
    for (const img of ['postgres:', 'redis:', 'drachtio/drachtio-server', 'prom/prometheus', 'grafana/grafana']) expect(images.some((i) => i.startsWith(img)), img).toBe(true);
    expect(switchNodes.map(([, s]) => s.environment!.SSW__node__name).sort()).toEqual(['ssw-1', 'ssw-2']);
  });

  it('mounts and builds only from files that exist in the repository', () => {
    const referenced: string[] = [];
    for (const [name, s] of Object.entries(services)) {
      if (s.build) {
        const context = resolve(dockerDir, s.build.context);
        expect(existsSync(context), `${name}: build context`).toBe(true);
        referenced.push(join(context, s.build.dockerfile));
      }
      for (const v of s.volumes ?? []) {
        const p = hostPath(v);
        if (p) referenced.push(p);
      }
    }
    expect(referenced.length).toBeGreaterThan(5);
    for (const p of referenced) expect(existsSync(p), p).toBe(true);
    // The Dockerfile copies these from the build context.
    const dockerfile = readFileSync(join(dockerDir, 'Dockerfile'), 'utf8');
    for (const m of dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) for (const f of m[1].split(/\s+/)) expect(existsSync(resolve(f)), `Dockerfile COPY ${f}`).toBe(true);
  });

  it('gives each node a configuration that validates, with its own CIC range, PostgreSQL and Redis', () => {
    const mount = switchNodes[0][1].volumes!.find((v) => v.endsWith(':/etc/softswitch/softswitch.yaml:ro'))!;
    const file = hostPath(mount)!;
    const ranges = new Set<string>();
    for (const [, s] of switchNodes) {
      const config = loadConfig(file, s.environment!);
      expect(config.node.name).toBe(s.environment!.SSW__node__name);
      expect(config.sip.drachtio.host).toBe(s.environment!.SSW__sip__drachtio__host);
      expect(config.store.kind).toBe('postgres');
      expect(config.cluster.redis?.url).toMatch(/^redis:\/\/redis:/);
      expect(config.ss7.m3ua.trafficMode).toBe('loadshare');
      const mine = config.cluster.nodes.find((n) => n.name === config.node.name);
      expect(mine, `cluster.nodes has ${config.node.name}`).toBeDefined();
      for (const r of mine!.cics) ranges.add(`${r.trunkGroup}:${r.first}+${r.count}`);
      // The partition is checked (ranges inside their trunk groups, no CIC owned twice) as the node would at start.
      expect(ownTrunkGroups(config.trunkGroups, config.cluster.nodes, config.node.name).map((t) => t.cics)).toEqual(mine!.cics.map(({ first, count }) => ({ first, count })));
      // Every deck the configuration names is in the image (copied from config/).
      for (const c of config.routing.carriers) expect(existsSync(resolve(c.deck)), c.deck).toBe(true);
    }
    expect(ranges.size).toBe(2);
  });

  it('has Prometheus scrape every node and load the alert rules it mounts', () => {
    const prom = parse(readFileSync(join(dockerDir, 'cluster', 'prometheus.yml'), 'utf8')) as { rule_files: string[]; scrape_configs: Array<{ static_configs: Array<{ targets: string[] }> }> };
    const targets = prom.scrape_configs.flatMap((c) => c.static_configs.flatMap((s) => s.targets));
    for (const [name] of switchNodes) expect(targets).toContain(`${name}:8080`);
    const mounts = services.prometheus.volumes!.map((v) => v.split(':')[1]);
    for (const rf of prom.rule_files) expect(mounts).toContain(rf);
    const promtool = spawnSync('promtool', ['check', 'rules', join(dockerDir, 'alerts.yml')], { encoding: 'utf8' });
    if (!promtool.error) expect(promtool.status, promtool.stdout + promtool.stderr).toBe(0);
  });

  it('provisions Grafana with a dashboard whose metrics the switch exports', () => {
    const dashboards = allFiles(join(dockerDir, 'cluster', 'grafana', 'dashboards')).filter((f) => f.endsWith('.json'));
    expect(dashboards.length).toBeGreaterThan(0);
    const source = allFiles(resolve('src')).filter((f) => f.endsWith('.ts')).map((f) => readFileSync(f, 'utf8')).join('\n');
    for (const d of dashboards) {
      const json = JSON.parse(readFileSync(d, 'utf8')) as { panels: Array<{ targets: Array<{ expr: string }> }> };
      const metrics = new Set(json.panels.flatMap((p) => p.targets.flatMap((t) => t.expr.match(/softswitch_[a-z_]+/g) ?? [])));
      expect(metrics.size).toBeGreaterThan(3);
      for (const m of metrics) expect(source.includes(`'${m}'`), `${m} in ${dirname(d)}`).toBe(true);
    }
  });

  it.skipIf(dnsmasqMissing() !== '')('serves the cluster\'s SIP name from its dns service: sip:switch.lab locates both nodes\' drachtio-servers (dnsmasq with the same records)', async () => {
    const dns = services.dns;
    expect(dns, 'a dns service').toBeDefined();
    const args = Array.isArray(dns.command) ? dns.command : [];
    const records = args.filter((a) => /^--(naptr-record|srv-host|host-record)=/.test(a));
    expect(records.length).toBeGreaterThanOrEqual(6);
    // The SRV targets' addresses are those the drachtio services are given on the compose network.
    const drachtioAddresses = Object.entries(services)
      .filter(([, s]) => (s.image ?? '').startsWith('drachtio/'))
      .map(([, s]) => s.networks?.default?.ipv4_address)
      .sort();
    expect(drachtioAddresses).toHaveLength(2);
    const server = await startDnsmasq(records, { ttlS: 60 });
    try {
      const loc = new ServerLocator({ clock: systemClock, registry: new Registry(), servers: [server.server] });
      const found = await loc.locate('sip:switch.lab', ['udp', 'tcp']);
      loc.close();
      expect(found.ok).toBe(true);
      if (!found.ok) return;
      const udp = found.targets.filter((t) => t.transport === 'udp');
      expect(udp.map((t) => `${t.address}:${t.port}`).sort()).toEqual(drachtioAddresses.map((a) => `${a}:5060`));
      // UDP first (NAPTR order 10), then TCP to the same two nodes.
      expect(found.targets.map((t) => t.transport)).toEqual(['udp', 'udp', 'tcp', 'tcp']);
    } finally {
      await server.stop();
    }
  });
});
