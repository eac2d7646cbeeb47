/**
 * The first step of the receive pipeline for commands from gateways: only configured gateways,
 * from their configured address(es) and MGCP port, for endpoints of their own domain, reach the
 * transaction layer's duplicate cache and the call agent (see gateway-acl.ts). What is refused is
 * counted (`softswitch_mgcp_rejected_commands_total{reason}`) and logged at most once per reason
 * every `logIntervalMs`, with the number of refusals not logged in between, so that a flood of
 * forged datagrams cannot flood the log.
 *
 * Answering: RFC 3435 has no return code for "not allowed" (§5 leaves authentication to IPsec).
 * A command from an address or port that is not a gateway's is dropped without an answer: the
 * source address of a UDP datagram is trivially forged, so answering would reflect traffic at
 * whoever the forger names (an amplifier when answers are larger than commands, as 100/200 with
 * parameters can be), and would confirm to a scanner that a call agent listens here. A command
 * from a gateway's own address and port for an endpoint outside its domain is answered 500
 * (Endpoint unknown, RFC 3435 §2.4): the answer goes to that gateway only, and tells its operator
 * that its endpoint names do not match `mgcp.gateways[].domain`.
 */
import type { Clock } from '../../util/clock.js';
import type { Logger } from '../../util/log.js';
import { RC } from './constants.js';
import { GatewayAcl, type RejectReason, type TrustedGateway } from './gateway-acl.js';
import { response, type MgcpCommand } from './messages.js';
import { Registry } from 'prom-client';
import { mgcpMetrics, type MgcpMetrics } from './metrics.js';
import type { AdmitVerdict, Peer } from './transaction-layer.js';

const WHAT_TO_CHECK: Record<RejectReason, string> = {
  unknown_source:
    'MGCP command from an address that is no configured gateway dropped: if it is a real gateway, add the address it sends from to mgcp.gateways[].addresses; otherwise someone is forging gateway commands (check the network path and filter UDP to the call agent port)',
  wrong_port:
    "MGCP command from a gateway's address but not from its MGCP port dropped: check mgcp.gateways[].port against the gateway's configuration; a forger on that host or spoofing its address would also show here",
  foreign_endpoint:
    "MGCP command for an endpoint outside the sending gateway's domain refused with 500: check mgcp.gateways[].domain against the endpoint names the gateway uses",
};

/** The first line of a datagram, printable ASCII only, for a log line. */
function firstLine(datagram: Uint8Array | undefined): string {
  if (!datagram) return '';
  let out = '';
  for (let i = 0; i < datagram.length && i < 120; i++) {
    const c = datagram[i];
    if (c === 13 || c === 10) break;
    out += c >= 32 && c < 127 ? String.fromCharCode(c) : '?';
  }
  return out;
}

interface Suppressed {
  lastLogAt: number;
  count: number;
}

export class CommandScreen {
  private acl: GatewayAcl;
  private readonly suppressed = new Map<RejectReason, Suppressed>();

  constructor(
    gateways: readonly TrustedGateway[],
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly logIntervalMs = 10_000,
    private readonly m: MgcpMetrics = mgcpMetrics(new Registry()),
  ) {
    this.acl = new GatewayAcl(gateways);
  }

  setGateways(gateways: readonly TrustedGateway[]): void {
    this.acl = new GatewayAcl(gateways);
  }

  /** The gateway a command from `from` for `endpoint` belongs to, or undefined when it is refused. */
  gatewayOf(from: Peer, endpoint: string): TrustedGateway | undefined {
    const v = this.acl.check(from, endpoint);
    return v.ok ? v.gateway : undefined;
  }

  readonly responseFrom = (to: Peer, from: Peer): boolean => this.acl.sameGateway(to, from);

  /** The transaction layer's `admit` hook. */
  readonly admit = (from: Peer, cmd: MgcpCommand | undefined, datagram?: Uint8Array): AdmitVerdict => {
    const v = this.acl.check(from, cmd?.endpoint);
    if (v.ok) return 'accept';
    this.m.mgcpRejectedCommands.inc({ reason: v.reason });
    this.report(v.reason, from, cmd, v.gateway, datagram);
    if (v.reason === 'foreign_endpoint' && cmd) return response(RC.ENDPOINT_UNKNOWN, cmd.transactionId, 'Endpoint unknown');
    return 'drop';
  };

  private report(
    reason: RejectReason,
    from: Peer,
    cmd: MgcpCommand | undefined,
    gateway: TrustedGateway | undefined,
    datagram: Uint8Array | undefined,
  ): void {
    const now = this.clock.now();
    const s = this.suppressed.get(reason);
    if (s && now - s.lastLogAt < this.logIntervalMs) {
      s.count++;
      return;
    }
    this.suppressed.set(reason, { lastLogAt: now, count: 0 });
    this.log.warn(
      {
        reason,
        from: `${from.address}:${from.port}`,
        ...(cmd ? { verb: cmd.verb, endpoint: cmd.endpoint.slice(0, 128) } : { firstLine: firstLine(datagram) }),
        ...(gateway ? { gateway: gateway.name, expected: `${gateway.addresses.join('|')}:${gateway.port}`, domain: gateway.domain } : {}),
        ...(s && s.count > 0 ? { notLoggedSinceLast: s.count } : {}),
      },
      WHAT_TO_CHECK[reason],
    );
  }
}
