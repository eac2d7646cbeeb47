export { decodeSignalling, decodeIsupPlain, type DecodeOptions } from './signalling.js';
export { decodePcapFile, decodePcapBuffer, type DecodedFrame } from './capture.js';
export { readPcap, type SctpDataChunk } from './pcap.js';
