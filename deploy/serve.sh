#!/usr/bin/env bash
# Start $REPLICAS Streamlit processes on 127.0.0.1:8501… and nginx on $PORT in front of them.
# One Python process has one GIL: each replica trains its sessions on one core, so use about one replica per core.
# nginx pins each browser to one replica (by its Streamlit XSRF cookie) because a session lives in one process.
set -euo pipefail
cd "$(dirname "$0")/.."
REPLICAS="${REPLICAS:-2}"
PORT="${PORT:-8080}"
BASE_PORT="${BASE_PORT:-8501}"
RUN_DIR="${RUN_DIR:-$(mktemp -d)}"
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; nginx -s stop -c "$RUN_DIR/nginx.conf" 2>/dev/null || true; }
trap cleanup EXIT INT TERM

upstreams=""
for ((i = 0; i < REPLICAS; i++)); do
  port=$((BASE_PORT + i))
  python -m streamlit run app.py --server.headless true --server.address 127.0.0.1 --server.port "$port" \
    > "$RUN_DIR/replica-$i.log" 2>&1 &
  pids+=($!)
  upstreams+="server 127.0.0.1:$port; "
done
sed -e "s|@UPSTREAMS@|$upstreams|" -e "s|@PORT@|$PORT|" -e "s|@RUN_DIR@|$RUN_DIR|g" deploy/nginx.conf.template \
  > "$RUN_DIR/nginx.conf"
nginx -c "$RUN_DIR/nginx.conf" -g "daemon off;" &
pids+=($!)
echo "GAN Playground: $REPLICAS replicas behind http://127.0.0.1:$PORT (logs in $RUN_DIR)"
wait -n "${pids[@]}"
