#!/bin/sh
# Runs the softswitch command (bin/softswitch.js) under Node with the V8 settings the switch is
# measured and shipped with; `npm start` and the container start it this way (README, "Runtime").
#  --max-semi-space-size=64  V8's young generation, MiB per semi-space (default 16). A call's objects
#      live tens of ms to a few hundred (set-up waits on the network; under overload on the receive
#      queue); with 16 MiB they outlived two scavenges and were promoted, so the old generation grew
#      by hundreds of MiB between mark-compacts. Measured (bench overload, 2-core host): capacity
#      2,399 -> 2,585 calls/s, admitted at twice that 1,943 -> 2,146 calls/s (with the pool size below).
#  --v8-pool-size=N  V8's helper threads (garbage collection, compilation): one per core left by the
#      switch's own busy threads (the event loop and the SIP UDP I/O thread), at least 1. Node's
#      default of 4 woke four helpers at the event loop's priority for each collection; on 2 cores
#      they took the event loop's CPU (a second of a mark-compact read 59-74 % main thread, from 93 %).
# `softswitch-node.sh --print-flags` prints the flags (the benchmarks run their processes with them).
cores=$(nproc 2>/dev/null || echo 2)
if [ "$cores" -gt 3 ]; then pool=$((cores - 2)); else pool=1; fi
flags="--max-semi-space-size=64 --v8-pool-size=$pool"
if [ "$1" = "--print-flags" ]; then
  echo "$flags"
  exit 0
fi
# exec: the switch keeps this process id (signals, kill -9 and supervisors reach Node itself).
exec "${NODE:-node}" $flags "$(dirname "$0")/softswitch.js" "$@"
