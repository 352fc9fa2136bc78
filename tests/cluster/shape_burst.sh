#!/usr/bin/env bash
# tests/cluster/shape_burst.sh BITS_PER_S: the token bucket depth in bytes that
# tests/cluster/shape.sh gives a link shaped to that rate, at least 128 KB (veth hands
# over 64 KB GSO packets; a smaller burst cuts throughput far below the rate) and at
# least 2 ms of the rate. profiling/scaling_model --link-burst models it.
set -euo pipefail
awk -v b="${1:?usage: tests/cluster/shape_burst.sh BITS_PER_S}" 'BEGIN { x = b / 8 * 0.002; print int(x > 131072 ? x : 131072) }'
