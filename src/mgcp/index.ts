/** The MGCP area's public face: the bearer port and its MGCP implementation. */
export * from './bearer-port.js';
export { MgcpBearerPort, type GatewayConfig, type MgcpBearerOptions } from './bearer.js';
export { MgcpCallAgent, type CallAgentOptions, type RestartEvent, type NotifyEvent } from './mgcp/call-agent.js';
export { MgcpError, type MgcpErrorKind } from './mgcp/errors.js';
export type { Peer } from './mgcp/transaction-layer.js';
