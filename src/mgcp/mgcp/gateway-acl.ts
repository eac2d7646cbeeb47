/**
 * Which sources may send commands to the call agent. MGCP has no authentication of its own: RFC 3435
 * §5 leaves it to IPsec, and without IPsec the source address and port are all there is. A command
 * is accepted only from a configured gateway's address(es) and MGCP port, for an endpoint in that
 * gateway's domain (RFC 3435 §2.1.1: local-name@domain). Pure: no sockets, no clock.
 */
import type { Peer } from './transaction-layer.js';

export interface TrustedGateway {
  /** Name in the configuration (`mgcp.gateways[].name`). */
  readonly name: string;
  /** Domain part of its endpoint names, compared case-insensitively. */
  readonly domain: string;
  /** IP addresses the gateway sends from (its `address`, or every entry of `addresses`). */
  readonly addresses: readonly string[];
  /** Its MGCP UDP port: commands come from it, as responses go back to it (RFC 3435 §3.5). */
  readonly port: number;
}

/** Why a command was refused; the label values of `softswitch_mgcp_rejected_commands_total`. */
export type RejectReason =
  /** The source address is no configured gateway's. */
  | 'unknown_source'
  /** A configured gateway's address, but not from its MGCP port. */
  | 'wrong_port'
  /** From a configured gateway, for an endpoint in a domain that is not that gateway's. */
  | 'foreign_endpoint';

export const REJECT_REASONS: readonly RejectReason[] = ['unknown_source', 'wrong_port', 'foreign_endpoint'];

export type AclVerdict =
  | { readonly ok: true; readonly gateway: TrustedGateway }
  | { readonly ok: false; readonly reason: RejectReason; readonly gateway?: TrustedGateway };

/** IPv4-mapped IPv6 ("::ffff:192.0.2.1") compares as the IPv4 address. */
export function normalizeAddress(address: string): string {
  const a = address.toLowerCase();
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a;
}

/** The domain of an endpoint name without a ":port" suffix (RFC 3435 §3.2.1.3), lower-cased; undefined without "@". */
export function endpointDomain(endpoint: string): string | undefined {
  const at = endpoint.lastIndexOf('@');
  if (at < 0) return undefined;
  let domain = endpoint.slice(at + 1).toLowerCase();
  const colon = domain.lastIndexOf(':');
  if (colon > 0 && !domain.endsWith(']') && /^[0-9]{1,5}$/.test(domain.slice(colon + 1))) domain = domain.slice(0, colon);
  return domain;
}

export class GatewayAcl {
  private readonly byAddress = new Map<string, TrustedGateway[]>();

  constructor(gateways: readonly TrustedGateway[] = []) {
    for (const g of gateways) {
      for (const raw of g.addresses) {
        const a = normalizeAddress(raw);
        const list = this.byAddress.get(a) ?? [];
        if (!list.includes(g)) list.push(g);
        this.byAddress.set(a, list);
      }
    }
  }

  get size(): number {
    return this.byAddress.size;
  }

  /**
   * Checks a command's source and, when given, its endpoint. Without an endpoint (a datagram that
   * did not decode) only the source is checked.
   */
  check(from: Peer, endpoint?: string): AclVerdict {
    const atAddress = this.byAddress.get(normalizeAddress(from.address));
    if (!atAddress) return { ok: false, reason: 'unknown_source' };
    const atPort = atAddress.filter((g) => g.port === from.port);
    if (atPort.length === 0) return { ok: false, reason: 'wrong_port', gateway: atAddress[0] };
    if (endpoint === undefined) return { ok: true, gateway: atPort[0] };
    const domain = endpointDomain(endpoint);
    const g = atPort.find((x) => x.domain.toLowerCase() === domain);
    return g ? { ok: true, gateway: g } : { ok: false, reason: 'foreign_endpoint', gateway: atPort[0] };
  }

  /** True when `from` is one of the addresses of the gateway reached at `to` (a multi-homed gateway answering). */
  sameGateway(to: Peer, from: Peer): boolean {
    const f = normalizeAddress(from.address);
    if (normalizeAddress(to.address) === f) return true;
    const gws = this.byAddress.get(normalizeAddress(to.address))?.filter((g) => g.port === to.port) ?? [];
    return gws.some((g) => g.addresses.some((a) => normalizeAddress(a) === f));
  }
}
