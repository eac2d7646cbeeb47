import type { TandemSimConfig } from '../../config/schema.js';

export type TandemAction = 'answer' | 'reject' | 'no-answer' | 'release-after-answer';

export interface TandemDecision {
  action: TandemAction;
  cause: number;
  /** reject: wait before REL; release-after-answer: time answered before REL. */
  delayMs: number;
}

interface CompiledRule {
  re: RegExp;
  decision: TandemDecision;
}

/**
 * What the simulated tandem does with a called number: the first rule whose pattern matches the
 * whole digit string decides; otherwise answer (releasing after `releaseAfterMs` when set).
 */
export class TandemRules {
  private readonly rules: CompiledRule[];

  constructor(private readonly cfg: TandemSimConfig) {
    this.rules = cfg.rules.map((r, i) => {
      let re: RegExp;
      try {
        re = new RegExp(`^(?:${r.match})$`);
      } catch (err) {
        throw new Error(`lab.tandemSim.rules.${i}.match: not a valid regular expression (${(err as Error).message})`);
      }
      return {
        re,
        decision: { action: r.action, cause: r.cause, delayMs: r.delayMs ?? (r.action === 'release-after-answer' ? cfg.releaseAfterMs || 2000 : 0) },
      };
    });
  }

  decide(digits: string): TandemDecision {
    for (const r of this.rules) if (r.re.test(digits)) return r.decision;
    return this.cfg.releaseAfterMs > 0
      ? { action: 'release-after-answer', cause: 16, delayMs: this.cfg.releaseAfterMs }
      : { action: 'answer', cause: 16, delayMs: 0 };
  }
}
