/** Class 5 assembled over a signalling port: tenants, digest authenticator, registrar and its REGISTER service. */
import type { Registry } from 'prom-client';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import type { SignallingPort } from '../sip/port.js';
import type { Class5Config } from './config.js';
import { DigestAuthenticator } from './digest-auth.js';
import { Registrar, type RegistrarOptions } from './registrar.js';
import { RegistrarService } from './registrar-service.js';
import { TenantDirectory } from './tenants.js';
import { MwiService } from './mwi/mwi-service.js';

export interface Class5 {
  tenants: TenantDirectory;
  registrar: Registrar;
  auth: DigestAuthenticator;
  service: RegistrarService;
  mwi: MwiService;
  close(): void;
}

export function startClass5(config: Class5Config, deps: { sip: SignallingPort; clock: Clock; logger: Logger; registry?: Registry; tenants?: TenantDirectory; contact: string; onRegistrationChange?: RegistrarOptions['onChange'] }): Class5 {
  const tenants = deps.tenants ?? new TenantDirectory(config);
  const auth = new DigestAuthenticator({
    clock: deps.clock,
    secret: config.nonceSecret ? Buffer.from(config.nonceSecret, 'utf8') : undefined,
    nonceLifetimeMs: config.nonceLifetimeS * 1000,
    maxFailures: config.auth.maxFailures,
    failureWindowMs: config.auth.failureWindowS * 1000,
    blockMs: config.auth.blockS * 1000,
    algorithms: config.auth.algorithms,
    registry: deps.registry,
  });
  const registrar = new Registrar({ clock: deps.clock, ...config.registration, registry: deps.registry, onChange: deps.onRegistrationChange });
  const service = new RegistrarService({ sip: deps.sip, tenants, registrar, auth, logger: deps.logger, registry: deps.registry });
  service.listen();
  const mwi = new MwiService({ sip: deps.sip, tenants, registrar, service, clock: deps.clock, logger: deps.logger, contact: deps.contact, options: config.mwi, registry: deps.registry });
  mwi.listen();
  return {
    tenants,
    registrar,
    auth,
    service,
    mwi,
    close: () => {
      mwi.close();
      registrar.close();
    },
  };
}
