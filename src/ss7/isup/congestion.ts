/**
 * Automatic congestion control toward one adjacent exchange (Q.764 §2.11.2; T1.113.4 §2.11):
 * a REL carrying an automatic congestion level (ACL) raises the traffic reduction; further ACLs
 * are ignored while T29 runs; each T30 expiry without a new ACL steps the reduction back one
 * level until traffic is normal. Routing asks `level` (0 none, 1 or 2 as received) and `step`
 * (how far to reduce).
 */
import type { Clock, TimerHandle } from '../../util/clock.js';

export class CongestionControl {
  /** The congestion level last received (1 or 2), 0 when back to normal. */
  level = 0;
  /** Traffic reduction step: raised by each ACL outside T29, lowered by each T30 expiry. */
  step = 0;
  private t29?: TimerHandle;
  private t30?: TimerHandle;

  constructor(
    private readonly clock: Clock,
    private readonly t29Ms: number,
    private readonly t30Ms: number,
    private readonly onChange: (level: number, step: number) => void = () => undefined,
  ) {}

  /** An ACL received in a REL. Values other than 1 and 2 are spare (Q.763 §3.4) and ignored. */
  received(acl: number): void {
    if (acl !== 1 && acl !== 2) return;
    if (this.t29) return;
    this.level = acl;
    this.step = Math.min(this.step + 1, 4);
    this.t29 = this.clock.setTimeout(() => (this.t29 = undefined), this.t29Ms);
    this.armT30();
    this.onChange(this.level, this.step);
  }

  private armT30(): void {
    this.clock.clearTimeout(this.t30);
    this.t30 = this.clock.setTimeout(() => {
      this.t30 = undefined;
      this.step = Math.max(0, this.step - 1);
      if (this.step === 0) this.level = 0;
      else this.armT30();
      this.onChange(this.level, this.step);
    }, this.t30Ms);
  }

  stop(): void {
    this.clock.clearTimeout(this.t29);
    this.clock.clearTimeout(this.t30);
    this.t29 = this.t30 = undefined;
  }
}
