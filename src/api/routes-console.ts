/**
 * The NOC console's static files (src/api/console/: HTML, CSS, ES modules; no build step), served
 * from a fixed list read once at start-up, so no request names a path on disk. Public like
 * /healthz: the files hold no data; every view reads the admin API with the operator's bearer
 * token (kept in the tab's sessionStorage, never a cookie, so cross-site requests carry nothing).
 *   GET /console/           index.html
 *   GET /console/<file>     one of FILES
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';

const FILES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'console.css': 'text/css; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'api.js': 'text/javascript; charset=utf-8',
  'ladder.js': 'text/javascript; charset=utf-8',
};

/** Scripts and styles only from this origin, API calls only to it, never framed (clickjacking). */
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cache-control': 'no-cache',
};

/** The console directory beside this module (src/api/console), or the source tree's when running from a build. */
function consoleDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, 'console'), resolve(here, '../../src/api/console')];
  const found = candidates.find((d) => existsSync(join(d, 'index.html')));
  if (!found) throw new Error(`NOC console files not found (looked in ${candidates.join(', ')})`);
  return found;
}

export async function consoleRoutes(app: FastifyInstance): Promise<void> {
  const dir = consoleDir();
  const files = new Map(Object.entries(FILES).map(([name, type]) => [name, { type, body: readFileSync(join(dir, name)) }]));
  const file = { description: 'A console file', content: { 'text/html': { schema: { type: 'string' } } } };
  const schema = (summary: string) => ({ summary, tags: ['console'], response: { 200: file } });

  for (const [name, f] of files) {
    const url = name === 'index.html' ? '/console/' : `/console/${name}`;
    app.get(url, { config: { access: 'public' }, schema: schema(`NOC console: ${name}`) }, async (_req, reply) => reply.headers(SECURITY_HEADERS).type(f.type).send(f.body));
  }
}
