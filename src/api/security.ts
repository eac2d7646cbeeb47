/**
 * Admin API guards, run in onRequest (before any body is read):
 *   1. cross-site changes refused: a browser marks a request from another page with
 *      Sec-Fetch-Site (Fetch Metadata) or Origin (RFC 6454 §7); either naming another site is 403;
 *   2. without tokens (lab on loopback) only loopback Host names are answered, so a DNS-rebound
 *      name cannot reach the API from a browser;
 *   3. bearer token (RFC 6750 §2.1) and role: reads need read-only, changes operator, and a
 *      route may ask for more with `config: { access: 'admin' }`; /healthz is the only public route.
 */
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import type { Logger } from '../util/log.js';
import { HttpError } from './http-error.js';
import { isLoopbackHost } from './exposure.js';
import { bearerToken, roleAtLeast, ROLES, type Principal, type Role, type TokenVerifier } from './tokens.js';

export type Access = 'public' | Role;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route; defaults to read-only for reads and operator for changes, and can only be raised. */
    access?: Access;
  }
  interface FastifyRequest {
    /** The token holder, once authenticated; null when authentication is off (lab on loopback). */
    principal: Principal | null;
    /** Passed the guards: the request reached parsing and its handler (the audit log records these). */
    admitted: boolean;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function isChange(method: string): boolean {
  return !SAFE_METHODS.has(method.toUpperCase());
}

/** The role a request needs: the route's declared access, never below what its method needs. */
export function requiredAccess(method: string, declared: Access | undefined): Access {
  const base: Role = isChange(method) ? 'operator' : 'read-only';
  if (declared === undefined) return base;
  if (declared === 'public') return isChange(method) ? base : 'public';
  return roleAtLeast(declared, base) ? declared : base;
}

/** Refuses at registration a route whose declared access is weaker than its method allows. */
export function checkRouteAccess(route: Pick<RouteOptions, 'method' | 'url' | 'config'>): void {
  const declared = (route.config as { access?: Access } | undefined)?.access;
  if (declared === undefined) return;
  if (declared !== 'public' && !ROLES.includes(declared)) throw new Error(`route ${route.url}: unknown access "${declared}"`);
  for (const m of ([] as string[]).concat(route.method)) {
    if (requiredAccess(m, declared) !== declared) throw new Error(`route ${m} ${route.url}: access "${declared}" is too weak for a ${m} (changes need operator or admin)`);
  }
}

/** "host[:port]" or "[v6]:port" to the host name alone. */
function hostName(hostHeader: string): string {
  if (hostHeader.startsWith('[')) return hostHeader.slice(0, hostHeader.indexOf(']') + 1);
  const colon = hostHeader.indexOf(':');
  return colon < 0 ? hostHeader : hostHeader.slice(0, colon);
}

/** Why a change request came from another site, or undefined if it did not. */
export function crossSiteReason(req: Pick<FastifyRequest, 'headers' | 'protocol' | 'host'>): string | undefined {
  const site = req.headers['sec-fetch-site'];
  // Fetch Metadata: the browser's own verdict; "none" is a user action (address bar, bookmark).
  if (site !== undefined) return site === 'same-origin' || site === 'none' ? undefined : `Sec-Fetch-Site: ${String(site)}`;
  const origin = req.headers.origin;
  if (origin === undefined) return undefined;
  let own: string;
  try {
    own = new URL(`${req.protocol}://${req.host}`).origin;
  } catch {
    return `Host "${req.host}" is not a valid host`;
  }
  return origin === own ? undefined : `Origin ${origin} is not this API's own origin ${own}`;
}

export interface SecurityOptions {
  /** Null: authentication off (lab profile on loopback). */
  verifier: TokenVerifier | null;
  log: Logger;
}

export function installSecurity(app: FastifyInstance, opts: SecurityOptions): void {
  const { verifier, log } = opts;
  app.decorateRequest('principal', null);
  app.decorateRequest('admitted', false);
  app.addHook('onRoute', (route) => checkRouteAccess(route));
  app.addHook('onRequest', async (req, reply) => {
    const route = req.routeOptions.url ?? req.url;
    if (isChange(req.method)) {
      const why = crossSiteReason(req);
      if (why) {
        log.warn({ req, why }, 'cross-site change refused');
        throw HttpError.of(403, 'SSW_ERR_API_CROSS_SITE', why);
      }
    }
    if (!verifier) {
      if (!isLoopbackHost(hostName(req.host))) throw HttpError.of(403, 'SSW_ERR_API_CROSS_SITE', `Host "${req.host}" is not a loopback name, and without api.tokens only 127.0.0.1, [::1] and localhost are answered`);
      req.admitted = true;
      return;
    }
    const access = requiredAccess(req.method, req.routeOptions.config?.access);
    if (access === 'public') {
      req.admitted = true;
      return;
    }
    const token = bearerToken(req.headers.authorization);
    const principal = token === undefined ? undefined : verifier.verify(token);
    if (!principal) {
      log.warn({ req, route }, token === undefined ? 'admin API request without a bearer token' : 'admin API request with an unknown token');
      reply.header('www-authenticate', token === undefined ? 'Bearer realm="softswitch"' : 'Bearer realm="softswitch", error="invalid_token"');
      throw HttpError.of(401, 'SSW_ERR_API_UNAUTHENTICATED', token === undefined ? 'no "Authorization: Bearer" header' : 'the token matches none in api.tokens');
    }
    req.principal = principal;
    if (!roleAtLeast(principal.role, access)) {
      log.warn({ req, route, token: principal.name, role: principal.role, needs: access }, 'admin API request above the token\'s role');
      throw HttpError.of(403, 'SSW_ERR_API_FORBIDDEN', `${req.method} ${route} needs ${access}; token "${principal.name}" is ${principal.role}`);
    }
    req.admitted = true;
  });
  // A reply sent before the body was read (401, 403, 413, a rejected deck): close the connection
  // so the client stops sending instead of the server reading and discarding the rest.
  app.addHook('onSend', async (req, reply) => {
    if (reply.statusCode >= 400 && req.raw.complete === false) reply.header('connection', 'close');
  });
}
