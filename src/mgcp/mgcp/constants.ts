/** MGCP 1.0 protocol tables (RFC 3435). */

/** RFC 3435 §2.3 commands, §3.2.1 verb codes. */
export const VERBS = ['EPCF', 'CRCX', 'MDCX', 'DLCX', 'RQNT', 'NTFY', 'AUEP', 'AUCX', 'RSIP'] as const;
export type Verb = (typeof VERBS)[number];

export const VERB_NAMES: Record<Verb, string> = {
  EPCF: 'EndpointConfiguration',
  CRCX: 'CreateConnection',
  MDCX: 'ModifyConnection',
  DLCX: 'DeleteConnection',
  RQNT: 'NotificationRequest',
  NTFY: 'Notify',
  AUEP: 'AuditEndpoint',
  AUCX: 'AuditConnection',
  RSIP: 'RestartInProgress',
};

export function isVerb(s: string): s is Verb {
  return (VERBS as readonly string[]).includes(s);
}

/** RFC 3435 §2.4 return codes and their meanings. */
export const RETURN_CODES: Readonly<Record<number, string>> = {
  0: 'Response acknowledgement',
  100: 'Transaction being executed; a completion message will follow',
  101: 'Transaction queued for execution; a completion message will follow',
  200: 'Transaction executed normally',
  250: 'Connection deleted',
  400: 'Unspecified transient error',
  401: 'Phone already off hook',
  402: 'Phone already on hook',
  403: 'Endpoint lacks sufficient resources at this time',
  404: 'Insufficient bandwidth at this time',
  405: 'Endpoint is restarting',
  406: 'Transaction time-out',
  407: 'Transaction aborted',
  409: 'Internal overload',
  410: 'No endpoint available',
  500: 'Endpoint unknown',
  501: 'Endpoint not ready',
  502: 'Endpoint lacks sufficient resources (permanent)',
  503: '"All of" wildcard too complicated',
  504: 'Unknown or unsupported command',
  505: 'Unsupported RemoteConnectionDescriptor',
  506: 'Cannot satisfy both LocalConnectionOptions and RemoteConnectionDescriptor',
  507: 'Unsupported functionality',
  508: 'Unknown or unsupported quarantine handling',
  509: 'Error in RemoteConnectionDescriptor',
  510: 'Protocol error',
  511: 'Unrecognized extension',
  512: 'Cannot detect requested event (no equipment)',
  513: 'Cannot generate requested signal (no equipment)',
  514: 'Cannot send the specified announcement',
  515: 'Incorrect connection-id',
  516: 'Unknown or incorrect call-id',
  517: 'Unsupported or invalid mode',
  518: 'Unsupported or unknown package',
  519: 'Endpoint does not have a digit map',
  520: 'Endpoint is restarting',
  521: 'Endpoint redirected to another Call Agent',
  522: 'No such event or signal',
  523: 'Unknown action or illegal combination of actions',
  524: 'Internal inconsistency in LocalConnectionOptions',
  525: 'Unknown extension in LocalConnectionOptions',
  526: 'Insufficient bandwidth (permanent)',
  527: 'Missing RemoteConnectionDescriptor',
  528: 'Incompatible protocol version',
  529: 'Internal hardware failure',
  530: 'CAS signaling protocol error',
  531: 'Failure of a grouping of trunks',
  532: 'Unsupported value(s) in LocalConnectionOptions',
  533: 'Response too large',
  534: 'Codec negotiation failure',
  535: 'Packetization period not supported',
  536: 'Unknown or unsupported RestartMethod',
  537: 'Unknown or unsupported digit map extension',
  538: 'Event/signal parameter error',
  539: 'Invalid or unsupported command parameter',
  540: 'Per endpoint connection limit exceeded',
  541: 'Invalid or unsupported LocalConnectionOptions',
};

export const RC = {
  ACK: 0,
  PROVISIONAL: 100,
  QUEUED: 101,
  OK: 200,
  DELETED: 250,
  ENDPOINT_UNKNOWN: 500,
  UNKNOWN_COMMAND: 504,
  PROTOCOL_ERROR: 510,
  UNRECOGNIZED_EXTENSION: 511,
  INCOMPATIBLE_VERSION: 528,
  RESPONSE_TOO_LARGE: 533,
  UNKNOWN_RESTART_METHOD: 536,
  INVALID_PARAMETER: 539,
} as const;

/** Meaning of a return code; 8xx are package-specific (RFC 3435 §2.4). */
export function describeReturnCode(code: number): string {
  const known = RETURN_CODES[code];
  if (known) return known;
  if (code >= 800 && code <= 899) return 'Package-specific response';
  if (code >= 100 && code < 200) return 'Provisional response';
  if (code >= 200 && code < 300) return 'Successful completion';
  if (code >= 400 && code < 500) return 'Transient error';
  if (code >= 500 && code < 600) return 'Permanent error';
  return 'Unknown return code';
}

export const isProvisional = (code: number): boolean => code >= 100 && code < 200;
export const isSuccess = (code: number): boolean => code >= 200 && code < 300;

/** RFC 3435 §3.2.2 parameter codes. */
export const PARAM = {
  BearerInformation: 'B',
  CallId: 'C',
  Capabilities: 'A',
  ConnectionId: 'I',
  SecondConnectionId: 'I2',
  NotifiedEntity: 'N',
  RequestIdentifier: 'X',
  LocalConnectionOptions: 'L',
  ConnectionMode: 'M',
  RequestedEvents: 'R',
  SignalRequests: 'S',
  DigitMap: 'D',
  ObservedEvents: 'O',
  ConnectionParameters: 'P',
  ReasonCode: 'E',
  SpecificEndpointId: 'Z',
  SecondEndpointId: 'Z2',
  RequestedInfo: 'F',
  QuarantineHandling: 'Q',
  DetectEvents: 'T',
  RestartMethod: 'RM',
  RestartDelay: 'RD',
  EventStates: 'ES',
  PackageList: 'PL',
  MaxMgcpDatagram: 'MD',
  ResponseAck: 'K',
} as const;

/** RFC 3435 §3.2.2.6 connection modes. */
export const CONNECTION_MODES = [
  'sendonly',
  'recvonly',
  'sendrecv',
  'confrnce',
  'inactive',
  'loopback',
  'conttest',
  'netwloop',
  'netwtest',
] as const;
export type ConnectionMode = (typeof CONNECTION_MODES)[number];

/** RFC 3435 §2.3.12 restart methods. */
export const RESTART_METHODS = ['graceful', 'forced', 'restart', 'disconnected', 'cancel-graceful'] as const;

/** Largest transaction id (RFC 3435 §3.2.1: up to 9 decimal digits). */
export const MAX_TRANSACTION_ID = 999_999_999;

/** Decoder limits against hostile input; MaxMGCPDatagram defaults to 4000 octets (RFC 3435 §3.5.4). */
export const LIMITS = {
  maxDatagram: 8192,
  maxLine: 1024,
  maxParams: 64,
  maxMessagesPerDatagram: 16,
  maxSdpBytes: 4096,
} as const;

export const DEFAULT_GATEWAY_PORT = 2427;
export const DEFAULT_CALL_AGENT_PORT = 2727;
