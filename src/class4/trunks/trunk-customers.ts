import { isIPv4 } from 'node:net';
import type { TrunkCustomerConfig } from './config.js';
import { SoftswitchError } from '../../errors.js';

/** A parsed IPv4 prefix: network address and mask as unsigned 32-bit integers. */
interface Cidr {
  net: number;
  mask: number;
}

function ipv4ToInt(ip: string): number | undefined {
  if (!isIPv4(ip)) return undefined;
  const p = ip.split('.');
  return ((+p[0] << 24) | (+p[1] << 16) | (+p[2] << 8) | +p[3]) >>> 0;
}

/** Parses "a.b.c.d" or "a.b.c.d/len"; undefined when not valid IPv4 CIDR. */
export function parseCidr(text: string): Cidr | undefined {
  const [addr, lenText] = text.split('/');
  const ip = ipv4ToInt(addr);
  const len = lenText === undefined ? 32 : Number(lenText);
  if (ip === undefined || !Number.isInteger(len) || len < 0 || len > 32) return undefined;
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  return { net: (ip & mask) >>> 0, mask };
}

export interface TrunkCustomer {
  id: string;
  /** Routing customer (route table, ingress normalisation); the routing default when absent. */
  routingCustomer?: string;
  maxCalls: number;
}

/**
 * Trunk-customer authentication by source address (the usual way SIP trunks are admitted at a
 * CLEC's border): the most specific configured prefix containing the source wins.
 */
export class TrunkCustomerTable {
  private entries: Array<Cidr & { customer: TrunkCustomer }> = [];
  private ids = new Map<string, TrunkCustomer>();

  constructor(customers: Array<Omit<TrunkCustomerConfig, 'dids'>>) {
    this.replace(customers);
  }

  /**
   * Puts a new set of customers in service in one step (provisioning at run time): a bad source
   * prefix throws and leaves the table as it was.
   */
  replace(customers: Array<Omit<TrunkCustomerConfig, 'dids'>>): void {
    const entries: Array<Cidr & { customer: TrunkCustomer }> = [];
    const ids = new Map<string, TrunkCustomer>();
    for (const c of customers) {
      const customer = { id: c.id, routingCustomer: c.routingCustomer, maxCalls: c.maxCalls };
      ids.set(c.id, customer);
      for (const src of c.sources) {
        const cidr = parseCidr(src);
        if (!cidr) throw new SoftswitchError(
            'SSW_ERR_CONFIG_INVALID',
            `trunkCustomers.${c.id}.sources: "${src}" is not an IPv4 address or CIDR prefix (e.g. 192.0.2.10 or 192.0.2.0/24)`,
          );
        entries.push({ ...cidr, customer });
      }
    }
    entries.sort((a, b) => b.mask - a.mask);
    this.entries = entries;
    this.ids = ids;
  }

  get size(): number {
    return this.ids.size;
  }

  byId(id: string): TrunkCustomer | undefined {
    return this.ids.get(id);
  }

  /** The customer whose prefix contains this source address, or undefined (reject the request). */
  identify(sourceAddress: string): TrunkCustomer | undefined {
    const addr = sourceAddress.startsWith('::ffff:') ? sourceAddress.slice(7) : sourceAddress;
    const ip = ipv4ToInt(addr);
    if (ip === undefined) return undefined;
    for (const e of this.entries) if (((ip & e.mask) >>> 0) === e.net) return e.customer;
    return undefined;
  }
}
