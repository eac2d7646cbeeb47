/** Class 5 assembled over a signalling port: tenants, digest authenticator, registrar and its REGISTER service. */
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import type { SignallingPort } from '../sip/port.js';
import type { Class5Config } from './config.js';
import { DigestAuthenticator } from './digest-auth.js';
import { Registrar, type RegistrarOptions } from './registrar.js';
import { RegistrarService } from './registrar-service.js';
import { TenantDirectory } from './tenants.js';

export interface Class5 {
  tenants: TenantDirectory;
  registrar: Registrar;
  auth: DigestAuthenticator;
  service: RegistrarService;
  close(): void;
}

/**
 * Methods a Class 5 subscriber may send from any address; digest decides. An INVITE from a stranger
 * that is no subscriber's then reaches the trunk intake, which refuses it (403) with state kept.
 */
export const SUBSCRIBER_METHODS: ReadonlySet<string> = new Set(['REGISTER', 'INVITE']);

export function startClass5(config: Class5Config, deps: { sip: SignallingPort; clock: Clock; logger: Logger; onRegistrationChange?: RegistrarOptions['onChange'] }): Class5 {
  const tenants = new TenantDirectory(config);
  const auth = new DigestAuthenticator({
    clock: deps.clock,
    secret: config.nonceSecret ? Buffer.from(config.nonceSecret, 'utf8') : undefined,
    nonceLifetimeMs: config.nonceLifetimeS * 1000,
    maxFailures: config.auth.maxFailures,
    failureWindowMs: config.auth.failureWindowS * 1000,
    blockMs: config.auth.blockS * 1000,
    algorithms: config.auth.algorithms,
  });
  const registrar = new Registrar({ clock: deps.clock, ...config.registration, onChange: deps.onRegistrationChange });
  const service = new RegistrarService({ sip: deps.sip, tenants, registrar, auth, logger: deps.logger });
  service.listen();
  return { tenants, registrar, auth, service, close: () => registrar.close() };
}
