/**
 * The Class 5 caller scenario (test/scenarios/c5-caller.xml) for an expected final status: 200 runs
 * it as it is; any other status replaces the answer part with receiving that status and its ACK.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const CALLER = new URL('../scenarios/c5-caller.xml', import.meta.url).pathname;

/** The ACK a SIPp caller sends for a non-2xx final response `status` (RFC 3261 §17.1.1.3). */
export const ackFor = (status: number) => `<recv response="${status}"/>
  <send>
    <![CDATA[
      ACK sip:[service]@[$domain] SIP/2.0
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      CSeq: 2 ACK
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>`;

/** The path of a caller scenario expecting `status`, written into `dir` when it is not 200. */
export function callerExpecting(dir: string, status: number): string {
  if (status === 200) return CALLER;
  const path = join(dir, `c5-caller-${status}.xml`);
  writeFileSync(path, readFileSync(CALLER, 'utf8').replace(/<!--ANSWER-->[\s\S]*<!--\/ANSWER-->/, ackFor(status)));
  return path;
}
