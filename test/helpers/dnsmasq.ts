/**
 * A throwaway dnsmasq (Debian dnsmasq-base) as a real DNS server for tests: loopback, a free
 * port, no upstream, no /etc/hosts, `.lab` answered locally (unknown names get NXDOMAIN), the
 * records given as dnsmasq options (`--srv-host=`, `--host-record=`, `--naptr-record=`). Its
 * query log says what was asked (a cache test counts on it).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { freeUdpPort } from './sipp.js';

const DNSMASQ = '/usr/sbin/dnsmasq';

export function dnsmasqMissing(): string {
  return existsSync(DNSMASQ) ? '' : 'dnsmasq not installed (apt-get install dnsmasq-base)';
}

export interface Dnsmasq {
  /** `127.0.0.1:PORT`, for `sip.dns.servers`. */
  server: string;
  port: number;
  /** Queries received so far, as `TYPE name` (e.g. `SRV _sip._udp.carrier.lab`). */
  queries(): string[];
  stop(): Promise<void>;
}

/** `records`: dnsmasq options, e.g. `--srv-host=_sip._udp.carrier.lab,a.carrier.lab,5070,10,50`. */
export async function startDnsmasq(records: string[], opts: { ttlS?: number } = {}): Promise<Dnsmasq> {
  for (let attempt = 0; ; attempt++) {
    const port = await freeUdpPort();
    const args = [
      '--keep-in-foreground',
      '--conf-file=/dev/null',
      `--port=${port}`,
      '--listen-address=127.0.0.1',
      '--bind-interfaces',
      '--no-resolv',
      '--no-hosts',
      '--pid-file=',
      '--local=/lab/',
      `--local-ttl=${opts.ttlS ?? 0}`,
      '--log-facility=-',
      '--log-queries',
      ...records,
    ];
    const child = spawn(DNSMASQ, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    const onData = (d: Buffer) => (log += d.toString());
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    const deadline = Date.now() + 5_000;
    while (!/started, version/.test(log) && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 50));
    if (child.exitCode !== null || !/started, version/.test(log)) {
      child.kill('SIGKILL');
      // The TCP side of the port may be taken even when the UDP side was free: try another.
      if (attempt < 3 && /in use/i.test(log)) continue;
      throw new Error(`dnsmasq did not start: ${log.slice(-2000)}`);
    }
    return {
      server: `127.0.0.1:${port}`,
      port,
      queries: () => [...log.matchAll(/query\[(\w+)\] (\S+) from/g)].map((m) => `${m[1]} ${m[2]}`),
      async stop() {
        if (child.exitCode === null && child.signalCode === null) {
          const exited = new Promise((r) => child.once('exit', r));
          child.kill('SIGTERM');
          await exited;
        }
      },
    };
  }
}
