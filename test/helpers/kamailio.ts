/** Kamailio 5.6 as a stateful proxy (tm, record_route) for tests and benchmarks: its configuration. */

/**
 * Kamailio 5.6, transaction-stateful (tm), record-routing (rr), relaying every new INVITE to
 * `next` (host:port); in-dialog requests by loose routing, or to `next` when they carry no Route
 * (SIPp's built-in uac ignores Record-Route). `children` UDP worker processes.
 */
export function kamailioConfig(port: number, next: string, children: number, debug = -1): string {
  return `#!KAMAILIO
debug=${debug}
log_stderror=yes
children=${children}
disable_tcp=yes
auto_aliases=no
dns=no
rev_dns=no
listen=udp:127.0.0.1:${port}
mpath="/usr/lib/x86_64-linux-gnu/kamailio/modules/"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "siputils.so"
loadmodule "textops.so"
request_route {
  if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
  if (has_totag()) {
    if (loose_route()) { t_relay(); exit; }
    # SIPp ignores Record-Route, so its in-dialog requests may come without Route.
    $du = "sip:${next}";
    t_relay();
    exit;
  }
  if (is_method("CANCEL")) { if (t_check_trans()) t_relay(); exit; }
  record_route();
  $du = "sip:${next}";
  t_relay();
}
`;
}
