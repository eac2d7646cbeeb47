/**
 * Gauges read from the running switch's state at scrape time: M3UA association state per SG,
 * circuits per trunk group and state. (Counters are kept where the events happen; these are
 * levels, asked for when Prometheus scrapes.)
 */
import { Gauge, type Registry } from 'prom-client';
import type { IsupService } from '../ss7/isup/service.js';
import type { AspTransferLink } from '../ss7/links/asp-link.js';

export interface StateSources {
  link: AspTransferLink;
  isup: IsupService;
}

const ASP_STATES = ['CONNECTING', 'ASP_DOWN', 'ASP_INACTIVE', 'ASP_ACTIVE'] as const;

/** Declares the state gauges on the switch's registry, read from `sources` at each scrape. */
export function reportStateOf(registry: Registry, sources: StateSources): void {
  new Gauge({
    name: 'softswitch_m3ua_asp_active',
    help: 'Whether the ASP toward a signalling gateway is ASP-ACTIVE (1) or not (0)',
    labelNames: ['sg'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const s of sources.link.status()) this.set({ sg: s.sg }, s.state === 'ASP_ACTIVE' ? 1 : 0);
    },
  });

  new Gauge({
    name: 'softswitch_m3ua_asp_state',
    help: 'State of the ASP toward each signalling gateway (RFC 4666 §4.3.1): 1 for its current state (connecting, asp_down, asp_inactive, asp_active), 0 for the others',
    labelNames: ['sg', 'state'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const s of sources.link.status()) {
        for (const state of ASP_STATES) this.set({ sg: s.sg, state: state.toLowerCase() }, s.state === state ? 1 : 0);
      }
    },
  });

  new Gauge({
    name: 'softswitch_isup_circuits',
    help: 'ISUP circuits per trunk group by state (idle, outgoing, incoming, blocked, out_of_service); total is their number',
    labelNames: ['trunk_group', 'state'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const tg of sources.isup.trunkGroups) {
        const c = tg.circuits.counts();
        for (const [state, n] of [['total', c.total], ['idle', c.idle], ['outgoing', c.outgoing], ['incoming', c.incoming], ['blocked', c.blocked], ['out_of_service', c.outOfService]] as const) {
          this.set({ trunk_group: tg.id, state }, n);
        }
      }
    },
  });
}
