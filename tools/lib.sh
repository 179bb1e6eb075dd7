# shellcheck shell=bash
# Shared by tools/run-tests and tools/run-demo: the Debian packages gcert
# needs to build and test, and the build steps. Source it; it defines
# functions and changes nothing by itself.

# Everything the build and the test suite need on a fresh Debian 12.
GCERT_PACKAGES=(
  meson
  ninja-build
  pkg-config
  gcc
  libglib2.0-dev
  libsoup-3.0-dev
  libjson-glib-dev
  libgnutls28-dev
  glib-networking
  libldns-dev
  pebble
  gettext
  dbus
  valgrind
  dnsutils
  knot
  knot-dnsutils
  bind9
  pdns-server
  pdns-backend-sqlite3
  sqlite3
  curl
  openssl
  openssh-server
  openssh-client
  time
  ca-certificates
  libacl1-dev
  acl
  python3-dbusmock
  systemd
  libxml2-utils
)

GCERT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

gcert_log() {
  printf '==> %s\n' "$*" >&2
}

gcert_die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

gcert_cd_root() {
  cd "$GCERT_ROOT" || gcert_die "cannot enter $GCERT_ROOT"
}

# Installs whichever of GCERT_PACKAGES are missing; asks apt nothing when
# all are there.
gcert_install_packages() {
  local missing=() package sudo=()

  for package in "${GCERT_PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("$package")
    fi
  done
  if ((${#missing[@]} == 0)); then
    return 0
  fi

  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || gcert_die "missing packages (${missing[*]}) and not root"
    sudo=(sudo)
  fi
  gcert_log "installing ${missing[*]}"
  "${sudo[@]}" apt-get update
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    "${missing[@]}"
  # dbus-daemon wants a machine id, which minimal images may lack
  if [[ ! -s /etc/machine-id ]] && command -v dbus-uuidgen >/dev/null; then
    "${sudo[@]}" dbus-uuidgen --ensure=/etc/machine-id || true
  fi
}

# gcert_build BUILDDIR [MESON OPTION...]: configures (or reconfigures) and
# builds.
gcert_build() {
  local builddir="$1"
  shift
  local options=(-Dwerror=true "$@")

  if [[ -f "$builddir/meson-private/coredata.dat" ]]; then
    gcert_log "reconfiguring $builddir"
    if ! meson setup --reconfigure "$builddir" "${options[@]}"; then
      gcert_log "reconfiguring failed; configuring $builddir afresh"
      meson setup --wipe "$builddir" "${options[@]}" || return 1
    fi
  else
    gcert_log "configuring $builddir"
    meson setup "$builddir" "${options[@]}" || return 1
  fi
  gcert_log "building $builddir"
  ninja -C "$builddir" || return 1
}
