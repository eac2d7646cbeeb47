/** The MGCP area's public face: the bearer port and its MGCP implementation. */
export * from './bearer-port.js';
export { MgcpBearerPort, trustedGateways, type GatewayConfig, type MgcpBearerOptions } from './bearer.js';
export { MgcpCallAgent, type CallAgentOptions, type RestartEvent, type NotifyEvent, type RestartMethod } from './mgcp/call-agent.js';
export { MgcpError, type MgcpErrorKind } from './mgcp/errors.js';
export type { RejectReason, TrustedGateway } from './mgcp/gateway-acl.js';
export type { Peer } from './mgcp/transaction-layer.js';
export {
  duplicateEndpoints,
  endpointMatches,
  isWildcard,
  parseEndpointName,
  parseTdmEndpoint,
  tdmEndpoint,
  tdmSpanWildcard,
  type TdmEndpoint,
  type TdmKind,
} from './endpoint-name.js';
