/**
 * Application Server state machine kept by the SG, RFC 4666 §4.3.2 (Figure 4) with the NTFY rules
 * of §4.3.4.5. Pure: events in, actions out; the SG runner (sg.ts) performs them.
 */
import { AsStateInfo, OtherInfo, StatusType, TrafficMode } from './constants.js';
import type { NotifyStatus } from './messages.js';

export type AsState = 'AS_DOWN' | 'AS_INACTIVE' | 'AS_ACTIVE' | 'AS_PENDING';
export type AspView = 'ASP_DOWN' | 'ASP_INACTIVE' | 'ASP_ACTIVE';

export type AsEvent =
  | { name: 'ASP_UP'; asp: string }
  | { name: 'ASP_ACTIVE'; asp: string }
  | { name: 'ASP_INACTIVE'; asp: string }
  | { name: 'ASP_DOWN'; asp: string }
  | { name: 'T_RECOVERY_EXPIRY' };

export type AsAction =
  | { kind: 'ntfy'; to: string[]; status: NotifyStatus }
  | { kind: 'state'; from: AsState; to: AsState }
  /** Override: the previously active ASP is now ASP-INACTIVE for this AS (RFC 4666 §4.3.4.3). */
  | { kind: 'aspDeactivated'; asp: string }
  | { kind: 'startRecovery'; ms: number }
  | { kind: 'stopRecovery' };

/** For each AS state, the states it may go to (RFC 4666 §4.3.2). */
export const AS_FSM: Record<AsState, readonly AsState[]> = {
  AS_DOWN: ['AS_INACTIVE'],
  AS_INACTIVE: ['AS_ACTIVE', 'AS_DOWN'],
  AS_ACTIVE: ['AS_PENDING'],
  AS_PENDING: ['AS_ACTIVE', 'AS_INACTIVE', 'AS_DOWN'],
};

const AS_INFO: Partial<Record<AsState, number>> = {
  AS_INACTIVE: AsStateInfo.AS_INACTIVE,
  AS_ACTIVE: AsStateInfo.AS_ACTIVE,
  AS_PENDING: AsStateInfo.AS_PENDING,
};

export class AsFsm {
  state: AsState = 'AS_DOWN';
  readonly asps = new Map<string, AspView>();

  constructor(
    public trafficMode: number | undefined,
    private readonly recoveryMs: number,
  ) {}

  /** ASPs currently active for this AS, in the order they joined. */
  active(): string[] {
    return [...this.asps].filter(([, s]) => s === 'ASP_ACTIVE').map(([a]) => a);
  }

  private up(): string[] {
    return [...this.asps].filter(([, s]) => s !== 'ASP_DOWN').map(([a]) => a);
  }

  handle(ev: AsEvent): AsAction[] {
    const out: AsAction[] = [];
    switch (ev.name) {
      case 'ASP_UP': {
        this.asps.set(ev.asp, 'ASP_INACTIVE');
        if (this.state === 'AS_DOWN') this.move(out, 'AS_INACTIVE');
        // RFC 4666 §4.3.4.5: tell the new ASP the AS state (a change was announced to all by move()).
        else out.push(this.ntfy([ev.asp], this.state));
        break;
      }
      case 'ASP_ACTIVE': {
        if (this.trafficMode === TrafficMode.OVERRIDE) {
          for (const other of this.active()) {
            if (other === ev.asp) continue;
            this.asps.set(other, 'ASP_INACTIVE');
            out.push({ kind: 'aspDeactivated', asp: other });
            out.push({ kind: 'ntfy', to: [other], status: { type: StatusType.OTHER, info: OtherInfo.ALTERNATE_ASP_ACTIVE } });
          }
        }
        this.asps.set(ev.asp, 'ASP_ACTIVE');
        if (this.state === 'AS_PENDING') out.push({ kind: 'stopRecovery' });
        if (this.state !== 'AS_ACTIVE') this.move(out, 'AS_ACTIVE');
        break;
      }
      case 'ASP_INACTIVE':
      case 'ASP_DOWN': {
        if (!this.asps.has(ev.asp)) break;
        this.asps.set(ev.asp, ev.name === 'ASP_DOWN' ? 'ASP_DOWN' : 'ASP_INACTIVE');
        if (this.state === 'AS_ACTIVE' && this.active().length === 0) {
          // RFC 4666 §4.3.2: the last active ASP left; hold traffic for T(r) waiting for another.
          this.move(out, 'AS_PENDING');
          out.push({ kind: 'startRecovery', ms: this.recoveryMs });
        } else if (this.state === 'AS_INACTIVE' && this.up().length === 0) {
          this.move(out, 'AS_DOWN');
        }
        break;
      }
      case 'T_RECOVERY_EXPIRY':
        if (this.state === 'AS_PENDING') this.move(out, this.up().length > 0 ? 'AS_INACTIVE' : 'AS_DOWN');
        break;
    }
    return out;
  }

  private ntfy(to: string[], state: AsState): AsAction {
    return { kind: 'ntfy', to, status: { type: StatusType.AS_STATE_CHANGE, info: AS_INFO[state] ?? 1 } };
  }

  private move(out: AsAction[], to: AsState): void {
    const from = this.state;
    if (!AS_FSM[from].includes(to)) return;
    this.state = to;
    out.push({ kind: 'state', from, to });
    const recipients = this.up();
    if (AS_INFO[to] && recipients.length) out.push(this.ntfy(recipients, to));
  }
}
