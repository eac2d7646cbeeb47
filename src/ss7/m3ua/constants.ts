/** M3UA wire constants, RFC 4666 §3. */

export const M3UA_VERSION = 1;
export const HEADER_LENGTH = 8;

/** Message classes, RFC 4666 §3.1.2. */
export const MsgClass = {
  MGMT: 0,
  TRANSFER: 1,
  SSNM: 2,
  ASPSM: 3,
  ASPTM: 4,
  RKM: 9,
} as const;

/** Parameter tags, RFC 4666 §3.2 (common) and §3.2 M3UA-specific. */
export const Tag = {
  /** Pre-RFC drafts carried the MSU (SIO + routing label + user data) under this tag. */
  LEGACY_PROTOCOL_DATA: 0x0002,
  INFO_STRING: 0x0004,
  ROUTING_CONTEXT: 0x0006,
  DIAGNOSTIC_INFO: 0x0007,
  HEARTBEAT_DATA: 0x0009,
  TRAFFIC_MODE_TYPE: 0x000b,
  ERROR_CODE: 0x000c,
  STATUS: 0x000d,
  ASP_IDENTIFIER: 0x0011,
  AFFECTED_POINT_CODE: 0x0012,
  CORRELATION_ID: 0x0013,
  NETWORK_APPEARANCE: 0x0200,
  USER_CAUSE: 0x0204,
  CONGESTION_INDICATIONS: 0x0205,
  CONCERNED_DESTINATION: 0x0206,
  ROUTING_KEY: 0x0207,
  REGISTRATION_RESULT: 0x0208,
  DEREGISTRATION_RESULT: 0x0209,
  LOCAL_RK_IDENTIFIER: 0x020a,
  DESTINATION_POINT_CODE: 0x020b,
  SERVICE_INDICATORS: 0x020c,
  ORIGINATING_PC_LIST: 0x020e,
  PROTOCOL_DATA: 0x0210,
  REGISTRATION_STATUS: 0x0212,
  DEREGISTRATION_STATUS: 0x0213,
} as const;

/** Error codes, RFC 4666 §3.8.1. */
export const ErrorCode = {
  INVALID_VERSION: 0x01,
  UNSUPPORTED_MESSAGE_CLASS: 0x03,
  UNSUPPORTED_MESSAGE_TYPE: 0x04,
  UNSUPPORTED_TRAFFIC_MODE: 0x05,
  UNEXPECTED_MESSAGE: 0x06,
  PROTOCOL_ERROR: 0x07,
  INVALID_STREAM_ID: 0x09,
  REFUSED_MANAGEMENT_BLOCKING: 0x0d,
  ASP_ID_REQUIRED: 0x0e,
  INVALID_ASP_ID: 0x0f,
  INVALID_PARAMETER_VALUE: 0x11,
  PARAMETER_FIELD_ERROR: 0x12,
  UNEXPECTED_PARAMETER: 0x13,
  DESTINATION_STATUS_UNKNOWN: 0x14,
  INVALID_NETWORK_APPEARANCE: 0x15,
  MISSING_PARAMETER: 0x16,
  INVALID_ROUTING_CONTEXT: 0x19,
  NO_CONFIGURED_AS_FOR_ASP: 0x1a,
} as const;

export const ERROR_CODE_NAMES: Record<number, string> = {
  0x01: 'Invalid Version',
  0x03: 'Unsupported Message Class',
  0x04: 'Unsupported Message Type',
  0x05: 'Unsupported Traffic Mode Type',
  0x06: 'Unexpected Message',
  0x07: 'Protocol Error',
  0x09: 'Invalid Stream Identifier',
  0x0d: 'Refused - Management Blocking',
  0x0e: 'ASP Identifier Required',
  0x0f: 'Invalid ASP Identifier',
  0x11: 'Invalid Parameter Value',
  0x12: 'Parameter Field Error',
  0x13: 'Unexpected Parameter',
  0x14: 'Destination Status Unknown',
  0x15: 'Invalid Network Appearance',
  0x16: 'Missing Parameter',
  0x19: 'Invalid Routing Context',
  0x1a: 'No Configured AS for ASP',
};

/** Traffic Mode Type, RFC 4666 §3.8.2 / §3.7.1. */
export const TrafficMode = { OVERRIDE: 1, LOADSHARE: 2, BROADCAST: 3 } as const;
export type TrafficModeValue = (typeof TrafficMode)[keyof typeof TrafficMode];

/** Notify Status Type and Information, RFC 4666 §3.8.2. */
export const StatusType = { AS_STATE_CHANGE: 1, OTHER: 2 } as const;
export const AsStateInfo = { AS_INACTIVE: 2, AS_ACTIVE: 3, AS_PENDING: 4 } as const;
export const OtherInfo = { INSUFFICIENT_ASP_RESOURCES: 1, ALTERNATE_ASP_ACTIVE: 2, ASP_FAILURE: 3 } as const;

/** DUPU Unavailability Cause, RFC 4666 §3.4.5. */
export const UpuCause = { UNKNOWN: 0, UNEQUIPPED_REMOTE_USER: 1, INACCESSIBLE_REMOTE_USER: 2 } as const;

/** Registration Status, RFC 4666 §3.6.2. */
export const RegistrationStatus = {
  SUCCESS: 0,
  UNKNOWN: 1,
  INVALID_DPC: 2,
  INVALID_NA: 3,
  INVALID_ROUTING_KEY: 4,
  PERMISSION_DENIED: 5,
  CANNOT_SUPPORT_UNIQUE_ROUTING: 6,
  ROUTING_KEY_NOT_PROVISIONED: 7,
  INSUFFICIENT_RESOURCES: 8,
  UNSUPPORTED_RK_PARAMETER: 9,
  UNSUPPORTED_TRAFFIC_MODE: 10,
  ROUTING_KEY_CHANGE_REFUSED: 11,
  ROUTING_KEY_ALREADY_REGISTERED: 12,
} as const;

/** Deregistration Status, RFC 4666 §3.6.4. */
export const DeregistrationStatus = {
  SUCCESS: 0,
  UNKNOWN: 1,
  INVALID_ROUTING_CONTEXT: 2,
  PERMISSION_DENIED: 3,
  NOT_REGISTERED: 4,
  ASP_CURRENTLY_ACTIVE: 5,
} as const;

/** Service indicator values used by tests and logs (Q.704 §14.2.1). */
export const ServiceIndicator = { SNM: 0, SCCP: 3, TUP: 4, ISUP: 5 } as const;
