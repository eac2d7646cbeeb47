/** Regenerates docs/errors.md from src/errors.ts: `node --import tsx scripts/gen-errors-doc.ts`. */
import { writeFileSync } from 'node:fs';
import { ERROR_CODES } from '../src/errors.js';

const lines = [
  '# Operator error codes',
  '',
  'Every error the softswitch reports to an operator carries one of these codes (logs, CLI, admin API).',
  'Generated from `src/errors.ts` by `node --import tsx scripts/gen-errors-doc.ts`.',
  '',
  '| code | what happened | what to do |',
  '|---|---|---|',
  ...Object.entries(ERROR_CODES).map(([code, e]) => `| \`${code}\` | ${e.message} | ${e.action} |`),
  '',
];
writeFileSync(new URL('../docs/errors.md', import.meta.url), lines.join('\n'));
