/** Kamailio 5.6 as a stateful proxy (tm, record_route) for tests and benchmarks: its configuration. */

export interface KamailioOptions {
  /** Core debug level (-1 quiet, 1 and up for a test to read). */
  debug?: number;
  /**
   * A dispatcher list file (set 1) to spread calls over several next hops instead of `next`:
   * the hop is a hash of the Call-ID, so a call's ACK and BYE reach the hop that has its INVITE.
   */
  dispatcherList?: string;
  /** Receive buffer ceiling for the UDP socket's auto-probing (bytes; Kamailio's default is 256 KiB). */
  maxBufferBytes?: number;
}

/**
 * Kamailio 5.6, transaction-stateful (tm), record-routing (rr), relaying every new INVITE to
 * `next` (host:port) or to one of the dispatcher's hops; in-dialog requests by loose routing, or
 * the same way as the INVITE when they carry no Route (SIPp's built-in uac ignores Record-Route).
 * `children` UDP worker processes.
 */
export function kamailioConfig(port: number, next: string, children: number, debugOrOptions: number | KamailioOptions = -1): string {
  const o: KamailioOptions = typeof debugOrOptions === 'number' ? { debug: debugOrOptions } : debugOrOptions;
  const relayTo = o.dispatcherList
    ? `if (!ds_select_dst("1", "0")) { sl_send_reply("503", "No Hop"); exit; }`
    : `$du = "sip:${next}";`;
  return `#!KAMAILIO
debug=${o.debug ?? -1}
log_stderror=yes
children=${children}
disable_tcp=yes
auto_aliases=no
dns=no
rev_dns=no
${o.maxBufferBytes ? `maxbuffer=${o.maxBufferBytes}\n` : ''}listen=udp:127.0.0.1:${port}
mpath="/usr/lib/x86_64-linux-gnu/kamailio/modules/"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "siputils.so"
loadmodule "textops.so"
${o.dispatcherList ? `loadmodule "dispatcher.so"\nmodparam("dispatcher", "list_file", "${o.dispatcherList}")\nmodparam("dispatcher", "ds_ping_interval", 0)\n` : ''}request_route {
  if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
  if (has_totag()) {
    if (loose_route()) { t_relay(); exit; }
    # SIPp ignores Record-Route, so its in-dialog requests may come without Route.
    ${relayTo}
    t_relay();
    exit;
  }
  if (is_method("CANCEL")) { if (t_check_trans()) t_relay(); exit; }
  record_route();
  ${relayTo}
  t_relay();
}
`;
}
