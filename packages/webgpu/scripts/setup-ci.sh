#!/usr/bin/env bash
# Gives Node's `webgpu` package (Dawn) a software GPU adapter on a GPU-less Debian 12 (bookworm) host.
#
# Debian 12's own lavapipe (Mesa 22.3) is too old for Dawn; Mesa 25's lavapipe from bookworm-backports
# works with bookworm's libraries. It is unpacked (not installed, so the system Mesa stays as it is)
# into $LAVAPIPE_DIR and registered with the Vulkan loader through an ICD file in /etc/vulkan/icd.d,
# so no environment variable is needed afterwards. With --browser it also installs Debian's chromium
# for the headless-browser test. Idempotent; needs root (apt-get).
#
# Usage: sudo packages/webgpu/scripts/setup-ci.sh [--browser]
set -euo pipefail

LAVAPIPE_DIR="${STRIDENET_LAVAPIPE_DIR:-/opt/stridenet-lavapipe}"
ICD_FILE="/etc/vulkan/icd.d/stridenet_lvp_icd.json"
SOURCES="/etc/apt/sources.list.d/bookworm-backports.sources"
WITH_BROWSER=0
for arg in "$@"; do
  case "$arg" in
    --browser) WITH_BROWSER=1 ;;
    *) echo "setup-ci.sh: unknown argument '$arg' (expected --browser)" >&2; exit 2 ;;
  esac
done

if [ "$(id -u)" -ne 0 ]; then
  echo "setup-ci.sh: run as root (it calls apt-get and writes $ICD_FILE)" >&2
  exit 1
fi
. /etc/os-release
if [ "${VERSION_CODENAME:-}" != "bookworm" ]; then
  echo "setup-ci.sh: written for Debian 12 (bookworm), this is '${PRETTY_NAME:-unknown}'." >&2
  echo "On newer distributions Mesa >= 24 is in the main archive: apt-get install mesa-vulkan-drivers libvulkan1." >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive

if ! grep -rqs "bookworm-backports" /etc/apt/sources.list /etc/apt/sources.list.d/; then
  # Backports come from the same Debian mirror the machine already uses for bookworm.
  mirror=$(grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v security | head -n 1)
  if [ -z "$mirror" ]; then
    mirror=$(grep -hE '^deb ' /etc/apt/sources.list 2>/dev/null | awk '{print $2}' | grep -v security | head -n 1)
  fi
  if [ -z "$mirror" ]; then
    echo "setup-ci.sh: cannot find the Debian mirror in /etc/apt/sources.list[.d]" >&2
    exit 1
  fi
  cat > "$SOURCES" <<SRC
Types: deb
URIs: $mirror
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  apt-get update -qq
elif ! apt-cache madison mesa-vulkan-drivers | grep -q bpo12; then
  apt-get update -qq
fi

# The loader plus lavapipe's runtime dependencies (all satisfied by bookworm's versions).
packages=(libvulkan1 libllvm15 libdrm2 libelf1 libexpat1 libzstd1 zlib1g libx11-xcb1 libxcb-dri3-0
  libxcb-present0 libxcb-randr0 libxcb-shm0 libxcb-sync1 libxcb-xfixes0 libxshmfence1 libwayland-client0)
if [ "$WITH_BROWSER" -eq 1 ]; then packages+=(chromium); fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

version="$(apt-cache madison mesa-vulkan-drivers | awk '/bpo12/ { print $3; exit }')"
if [ -z "$version" ]; then
  echo "setup-ci.sh: bookworm-backports has no mesa-vulkan-drivers; check $SOURCES" >&2
  exit 1
fi
if [ "$(cat "$LAVAPIPE_DIR/VERSION" 2>/dev/null || true)" != "$version" ]; then
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  chmod 755 "$work"
  (cd "$work" && apt-get download -qq "mesa-vulkan-drivers=$version" 2>/dev/null)
  dpkg-deb -x "$work"/mesa-vulkan-drivers_*.deb "$work/root"
  mkdir -p "$LAVAPIPE_DIR"
  install -m 644 "$work/root/usr/lib/x86_64-linux-gnu/libvulkan_lvp.so" "$LAVAPIPE_DIR/libvulkan_lvp.so"
  echo "$version" > "$LAVAPIPE_DIR/VERSION"
fi

mkdir -p "$(dirname "$ICD_FILE")"
cat > "$ICD_FILE" <<ICD
{
  "file_format_version": "1.0.0",
  "ICD": { "library_path": "$LAVAPIPE_DIR/libvulkan_lvp.so", "api_version": "1.4.305" }
}
ICD

echo "setup-ci.sh: lavapipe $version registered in $ICD_FILE (library in $LAVAPIPE_DIR)."
echo "If the host also has other Vulkan drivers, select this one with VK_ICD_FILENAMES=$ICD_FILE"
