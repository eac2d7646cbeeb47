import type { TandemSimConfig } from '../config.js';
import { SoftswitchError } from '../../../errors.js';

export type TandemAction = 'answer' | 'reject' | 'no-answer' | 'release-after-answer';

export interface TandemRuleInput {
  match: string;
  trunkGroup?: string;
  action: TandemAction;
  cause?: number;
  delayMs?: number;
}

export interface TandemDecision {
  action: TandemAction;
  cause: number;
  /** reject: wait before REL; release-after-answer: time answered before REL. */
  delayMs: number;
}

interface CompiledRule {
  re: RegExp;
  trunkGroup?: string;
  decision: TandemDecision;
}

/**
 * What the simulated tandem does with a called number: the first rule whose pattern matches the
 * whole digit string (and whose trunk group, if given, is the call's) decides; otherwise answer (releasing after `releaseAfterMs` when set).
 */
export class TandemRules {
  private readonly rules: CompiledRule[];

  constructor(private readonly cfg: TandemSimConfig) {
    this.rules = cfg.rules.map((r, i) => this.compile(r, `lab.tandemSim.rules.${i}`));
  }

  private compile(r: TandemRuleInput, key: string): CompiledRule {
    let re: RegExp;
    try {
      re = new RegExp(`^(?:${r.match})$`);
    } catch (err) {
      throw new SoftswitchError('SSW_ERR_CONFIG_INVALID', `${key}.match: not a valid regular expression (${(err as Error).message})`);
    }
    const delayMs = r.delayMs ?? (r.action === 'release-after-answer' ? this.cfg.releaseAfterMs || 2000 : 0);
    return { re, trunkGroup: r.trunkGroup, decision: { action: r.action, cause: r.cause ?? 16, delayMs } };
  }

  /** A rule taking precedence over the configured ones (lab control at run time). */
  add(rule: TandemRuleInput): void {
    this.rules.unshift(this.compile(rule, 'rule'));
  }

  decide(digits: string, trunkGroup?: string): TandemDecision {
    for (const r of this.rules) if (r.re.test(digits) && (!r.trunkGroup || r.trunkGroup === trunkGroup)) return r.decision;
    return this.cfg.releaseAfterMs > 0
      ? { action: 'release-after-answer', cause: 16, delayMs: this.cfg.releaseAfterMs }
      : { action: 'answer', cause: 16, delayMs: 0 };
  }
}
