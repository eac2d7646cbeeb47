/**
 * mgcp-endpoints-24k: a switch configured with 1,000 DS1s (24,000 DS0 endpoints on eight TDM
 * gateways, one trunk group of 125 DS1s each, toward two tandems): time for the production
 * assembly to start (config validated, circuit groups and endpoint maps built, sockets open,
 * gateways audited) and the memory the circuits and endpoints take (heap and RSS growth over the
 * same switch with one DS1). The SGs are addresses nobody answers, so no GRS traffic is measured.
 */
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateConfig } from '../src/config/load.js';
import { startSoftswitch } from '../src/app/softswitch.js';
import { endpointForCic } from '../src/class4/trunks/endpoint-map.js';
import { createLogger } from '../src/util/log.js';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Benchmark, BenchResult } from './harness.js';

// A forced collection before each reading, so the heap figures are live objects, not garbage.
setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;

/** A UDP socket that answers every MGCP command 200 (the gateways' AUEP health probes). */
async function answeringGateway(): Promise<Socket> {
  const s = createSocket('udp4');
  s.on('message', (b, from) => {
    const tid = /^[A-Z]{4} (\d+) /.exec(b.toString('latin1'))?.[1];
    if (tid) s.send(`200 ${tid} OK\r\n`, from.port, from.address);
  });
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  return s;
}

async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const port = s.address().port;
  s.close();
  return port;
}

async function startWith(ds1PerGroup: number, gws: Socket[]): Promise<{ ms: number; stop: () => Promise<void>; circuits: number }> {
  const sgPort = await freeUdpPort();
  const circuits = ds1PerGroup * 24;
  const config = validateConfig({
    dataDir: mkdtempSync(join(tmpdir(), 'ssw-bench-24k-')),
    logLevel: 'error',
    lab: { enabled: false, startOsmoMgw: false },
    api: { host: '127.0.0.1', port: 0 },
    sip: { port: 0 },
    ss7: { variant: 'ansi', localPointCode: '10-20-30', sgs: [{ name: 'sg-a', transport: 'udp', address: '127.0.0.1', port: sgPort, localPort: 0 }], m3ua: { localAddress: '127.0.0.1' } },
    mgcp: {
      localAddress: '127.0.0.1',
      localPort: 0,
      gateways: gws.map((g, i) => ({ name: `tgw${i + 1}`, address: '127.0.0.1', port: g.address().port, domain: `tgw${i + 1}.example.net` })),
    },
    trunkGroups: gws.map((_, i) => ({
      id: `tg-${i + 1}`,
      variant: 'ansi',
      // Four trunk groups per tandem, CIC ranges apart (ANSI CICs are 14 bits per signalling relation).
      dpc: `10-20-${1 + (i % 2)}`,
      cics: { first: 1 + Math.floor(i / 2) * circuits, count: circuits },
      gateway: `tgw${i + 1}`,
      endpoint: `ds/ds1-{span}/{chan}@tgw${i + 1}.example.net`,
    })),
  });
  const t0 = process.hrtime.bigint();
  const ssw = await startSoftswitch(config, createLogger('error'));
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  return { ms, stop: () => ssw.stop(), circuits: circuits * gws.length };
}

const settle = async () => {
  await new Promise((r) => setTimeout(r, 500));
  gc();
};

async function endpointsBench(): Promise<BenchResult[]> {
  const gws = await Promise.all(Array.from({ length: 8 }, () => answeringGateway()));
  try {
    // A first start pays module loading; then one DS1 per group as the reference, then 500 per group.
    await (await startWith(1, gws)).stop();
    await settle();
    const before = process.memoryUsage();
    const small = await startWith(1, gws);
    await settle();
    const smallMem = process.memoryUsage();
    await small.stop();
    await settle();
    const base = process.memoryUsage();
    const big = await startWith(125, gws);
    await settle();
    const bigMem = process.memoryUsage();
    // Every endpoint name of the 24,000 circuits, as call setup computes them.
    const t0 = process.hrtime.bigint();
    let n = 0;
    for (let g = 1; g <= 8; g++) for (let cic = 1; cic <= 3000; cic++) n += endpointForCic({ cics: { first: 1, count: 3000 }, endpoint: `ds/ds1-{span}/{chan}@tgw${g}.example.net` }, cic).length;
    const mapUs = Number(process.hrtime.bigint() - t0) / 1e3 / 24_000;
    await big.stop();
    const heapPer = Math.max(0, (bigMem.heapUsed - base.heapUsed) - (smallMem.heapUsed - before.heapUsed)) / (big.circuits - small.circuits);
    return [
      { name: 'mgcp-endpoints-24k-startup', value: big.ms / 1000, unit: 's', baseline: small.ms / 1000, ratio: big.ms / small.ms, note: `production assembly start with ${big.circuits} circuits/endpoints on 8 gateways; baseline: the same switch with ${small.circuits}` },
      { name: 'mgcp-endpoints-24k-heap', value: (bigMem.heapUsed - base.heapUsed) / 2 ** 20, unit: 'MiB', note: `heap growth of the running 24,000-circuit switch (${heapPer.toFixed(0)} bytes per circuit over the ${small.circuits}-circuit one, after a forced GC)` },
      { name: 'mgcp-endpoints-24k-rss', value: (bigMem.rss - base.rss) / 2 ** 20, unit: 'MiB', note: 'RSS growth of the running 24,000-circuit switch' },
      { name: 'mgcp-endpoints-24k-map', value: mapUs, unit: 'µs/endpoint', note: `CIC → endpoint name from the trunk group template (${n} characters built)` },
    ];
  } finally {
    for (const g of gws) g.close();
  }
}

export const benchmarks: Benchmark[] = [{ name: 'mgcp-endpoints-24k', run: endpointsBench }];
