/** The SIP stack's face: the two SignallingPort adapters and the pieces tests and tools reuse. */
export { EmbeddedSignallingPort, type EmbeddedSipConfig } from './embedded-adapter.js';
export { DrachtioSignallingPort, type DrachtioConfig } from './drachtio-adapter.js';
export { SourceRateLimiter, type AdmissionHook, type AdmissionSource, type AdmissionVerdict, type RateLimitOptions } from './admission.js';
export { parseMessage, type ParseError, type ParseResult } from './parser.js';
export { serializeMessage } from './serializer.js';
export { SipHeaders, type SipMessage, type SipRequest, type SipResponse } from './message.js';
export { parseNameAddr, parseUri, parseVia, parseCSeq } from './header-values.js';
