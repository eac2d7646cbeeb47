/** The H.248 area's public face: the bearer port over H.248, its controller, codec and config. */
export { H248BearerPort, type H248BearerOptions, type H248GatewayRoute, type H248RestartNotice } from './bearer.js';
export {
  H248Controller,
  type ControllerOptions,
  type GatewayState,
  type GatewayStatus,
  type MediaGateway,
  type NotifyEvent,
  type ServiceChangeEvent,
} from './controller.js';
export { decode, encode, checkEncodable, parseMid, type TextEncoding } from './codec.js';
export { H248Error, type H248ErrorKind } from './errors.js';
export { h248ConfigSchema, h248GatewaySchema, type H248Config, type H248GatewayConfig } from './config.js';
export { openH248Bearer } from './open.js';
export type * from './messages.js';
export type { Peer } from './transport.js';
