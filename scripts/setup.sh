# Sourced by scripts/serve.sh and scripts/test.sh: install what is missing, skip what
# is there, and put the tools on PATH. Everything comes from package registries
# (crates.io, npm, Debian); Trunk is pinned and offline so it never downloads a tool.
#
#   setup_web    wasm32 target, trunk, wasm-bindgen-cli (= Cargo.lock), npm packages
#   setup_test   setup_web plus rustfmt, clippy, Chromium, chromedriver, python3, and
#                Debian's pinned kernel source (ensure_kernel_source, never fatal)

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TRUNK_VERSION="0.21.14"
CARGO_BIN="${CARGO_HOME:-$HOME/.cargo}/bin"
export PATH="$ROOT/node_modules/.bin:$CARGO_BIN:$PATH"
# Trunk's update check goes to the network even when offline = true.
export TRUNK_SKIP_VERSION_CHECK=true

say() { printf 'setup: %s\n' "$*" >&2; }

# Stops with exactly what the user must do by hand.
cannot() {
  printf 'setup: cannot continue: %s\n' "$1" >&2
  shift
  printf '  run: %s\n' "$@" >&2
  exit 1
}

# Each tool version has one source of truth, read here: wasm-bindgen's is the exact pin
# in the workspace's Cargo.toml, which Cargo.lock follows; binaryen's (wasm-opt) is
# package.json, which package-lock.json follows (npm ci refuses a lock that disagrees).
# Trunk.toml is static TOML and repeats both; check_tool_pins fails when it disagrees.

# The version of wasm-bindgen the web crate links, read from Cargo.lock: the CLI that
# post-processes the wasm must be exactly this version.
bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock"
}

# The major version of binaryen in package.json ("132.0.0" gives 132): wasm-opt
# reports only that ("wasm-opt version 132 (version_132)").
binaryen_version() {
  awk -F'"' '$2 == "binaryen" { split($4, v, "."); print v[1]; exit }' "$ROOT/package.json"
}

# trunk_tool KEY: the version Trunk.toml's [tools] table pins for KEY.
trunk_tool() {
  awk -v key="$1" '/^\[/ { tools = ($0 == "[tools]") } tools && $1 == key { gsub(/"/, "", $3); print $3; exit }' "$ROOT/Trunk.toml"
}

# Trunk.toml's tool pins agree with Cargo.lock and package.json (Trunk, offline, would
# otherwise refuse the tools on PATH and fail to download others).
check_tool_pins() {
  local bindgen binaryen pinned status=0
  bindgen="$(bindgen_version)"
  binaryen="$(binaryen_version)"
  pinned="$(trunk_tool wasm_bindgen)"
  if [ -z "$bindgen" ] || [ "$pinned" != "$bindgen" ]; then
    say "Trunk.toml pins wasm_bindgen = \"$pinned\" but Cargo.lock has wasm-bindgen ${bindgen:-(none)}: make them equal"
    status=1
  fi
  pinned="$(trunk_tool wasm_opt)"
  if [ -z "$binaryen" ] || [ "$pinned" != "version_$binaryen" ]; then
    say "Trunk.toml pins wasm_opt = \"$pinned\" but package.json has binaryen ${binaryen:-(none)}: use \"version_$binaryen\""
    status=1
  fi
  [ "$status" -eq 0 ] && say "Trunk.toml agrees: wasm-bindgen $bindgen (Cargo.lock), wasm-opt version_$binaryen (package.json)"
  return "$status"
}

ensure_rust() {
  command -v cargo >/dev/null && command -v rustup >/dev/null ||
    cannot "cargo and rustup are not on PATH" "install Rust with rustup, then re-run"
}

ensure_rust_component() {
  local component="$1"
  rustup component list --installed 2>/dev/null | grep -q "^$component" && return
  say "adding rustup component $component"
  rustup component add "$component"
}

ensure_wasm_target() {
  rustup target list --installed | grep -qx wasm32-unknown-unknown && return
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
}

ensure_trunk() {
  [ "$(trunk --version 2>/dev/null)" = "trunk $TRUNK_VERSION" ] && return
  say "installing trunk $TRUNK_VERSION from crates.io (7-9 minutes on 2 cores)"
  CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    cargo install --locked --force trunk --version "$TRUNK_VERSION"
}

ensure_wasm_bindgen() {
  local version
  version="$(bindgen_version)"
  [ -n "$version" ] || cannot "Cargo.lock names no wasm-bindgen version" "git checkout Cargo.lock"
  [ "$(wasm-bindgen --version 2>/dev/null)" = "wasm-bindgen $version" ] &&
    command -v wasm-bindgen-test-runner >/dev/null && return
  # Not --locked: the CLI's own lock file pins a crate the registry no longer serves.
  say "installing wasm-bindgen-cli $version from crates.io (3-4 minutes)"
  CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    cargo install --force wasm-bindgen-cli --version "$version"
}

# Debian packages; as root they are installed, otherwise the user is told how.
ensure_debian_packages() {
  local missing=() package
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return
  if [ "$(id -u)" = 0 ]; then
    say "installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    cannot "missing Debian packages: ${missing[*]}" "sudo apt-get update && sudo apt-get install -y ${missing[*]}"
  fi
}

ensure_node() {
  command -v node >/dev/null && command -v npm >/dev/null && return
  ensure_debian_packages nodejs npm
}

# npm packages exactly as package-lock.json says; reinstalled only when the lock
# file changes.
ensure_npm_packages() {
  local stamp="$ROOT/node_modules/.buddyscope-lock" want
  want="$(sha256sum "$ROOT/package-lock.json" | cut -d' ' -f1)"
  [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && return
  say "installing npm packages from package-lock.json"
  (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$want" >"$stamp"
}

check_wasm_opt() {
  local version
  version="$(binaryen_version)"
  [ -n "$version" ] || cannot "package.json names no binaryen version" "git checkout package.json"
  [ "$(wasm-opt --version 2>/dev/null)" = "wasm-opt version $version (version_$version)" ] ||
    cannot "wasm-opt on PATH is not binaryen $version from npm" "rm -rf node_modules, then re-run"
}

# Debian's kernel source the engine's source-line table was read from
# (scripts/kernel-lines.py, docs/source-lines.md), for the test that checks the table
# against it (engine/tests/it/source_lines.rs). Only mm/, include/linux/ and the
# one fs/ file the table uses are extracted, under
# ~/.cache/buddyscope/kernel-source/linux-source-VERSION/ with a .debian-version
# file. Never fails the setup: when the packages cannot be had, it says so and the
# test skips with a message. Cold: two ~140 MB downloads and ~10 s of extraction
# each (about 1-2 minutes on a fast mirror); warm: nothing.
KERNEL_SOURCE_CACHE="${BUDDYSCOPE_KERNEL_SOURCE_CACHE:-$HOME/.cache/buddyscope/kernel-source}"
KERNEL_SOURCE_PACKAGES=("linux-source-6.1=6.1.192-3" "linux-source-6.12=6.12.95-1~bpo12+1")

# A pinned version from Debian's backports (`~bpo` in it: the 6.12 source, the kernel
# the 6.12 fixtures were dumped from) needs the backports suite, which a Debian
# machine's apt sources do not list by default. As root, add it beside the machine's
# own Debian source (the same mirror and keyring); backports' packages are never
# installed unless asked for by version, so nothing else on the machine changes.
ensure_backports_suite() {
  local codename uri
  [ "$(id -u)" = 0 ] || return 1
  codename="$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")"
  [ -n "$codename" ] || return 1
  # Listed already: a line that is not a comment, in a file apt reads.
  cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
    grep -qE "^[^#]*[[:space:]]$codename-backports([[:space:]]|$)" && return 0
  uri="$(grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' | grep -m1 '/debian$')"
  uri="${uri:-http://deb.debian.org/debian}"
  say "kernel source: adding Debian's $codename-backports suite to the apt sources ($uri)"
  printf 'Types: deb\nURIs: %s\nSuites: %s-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    "$uri" "$codename" >/etc/apt/sources.list.d/buddyscope-backports.sources
}

ensure_kernel_source() {
  local pin package version dir deb
  for pin in "${KERNEL_SOURCE_PACKAGES[@]}"; do
    package="${pin%%=*}"
    version="${pin#*=}"
    dir="$KERNEL_SOURCE_CACHE/linux-source-$version"
    if [ "$(cat "$dir/.debian-version" 2>/dev/null)" = "$version" ]; then
      continue
    fi
    mkdir -p "$KERNEL_SOURCE_CACHE/debs" || { say "kernel source: cannot create $KERNEL_SOURCE_CACHE"; continue; }
    deb=""
    for candidate in "$KERNEL_SOURCE_CACHE/debs/${package}_"*_all.deb; do
      [ "$(dpkg-deb -f "$candidate" Version 2>/dev/null)" = "$version" ] && deb="$candidate"
    done
    if [ -z "$deb" ]; then
      say "kernel source: downloading $pin (about 140 MB)"
      # A new machine's package lists may not name the pinned version yet: as root,
      # refresh them once (with the backports suite for a backported version) and try
      # again.
      if ! (cd "$KERNEL_SOURCE_CACHE/debs" && apt-get download -q "$pin" >/dev/null 2>&1) &&
        ! { [ "$(id -u)" = 0 ] && { [[ "$version" != *"~bpo"* ]] || ensure_backports_suite; } &&
          apt-get update -qq >/dev/null 2>&1 &&
          (cd "$KERNEL_SOURCE_CACHE/debs" && apt-get download -q "$pin" >/dev/null 2>&1); }; then
        say "kernel source: cannot download $pin; the source-line test will skip it (a ~bpo version is in Debian's backports suite, which the set-up adds to the apt sources only as root)"
        continue
      fi
      for candidate in "$KERNEL_SOURCE_CACHE/debs/${package}_"*_all.deb; do
        [ "$(dpkg-deb -f "$candidate" Version 2>/dev/null)" = "$version" ] && deb="$candidate"
      done
      [ -n "$deb" ] || { say "kernel source: the download of $pin left no such .deb"; continue; }
    fi
    say "kernel source: extracting mm/ and include/linux/ of $pin"
    rm -rf "$dir" && mkdir -p "$dir" &&
      dpkg-deb --fsys-tarfile "$deb" | tar -xO "./usr/src/$package.tar.xz" |
      tar -xJ -C "$dir" --strip-components=1 --wildcards \
        "$package/mm/*" "$package/include/linux/*" "$package/fs/drop_caches.c" "$package/Makefile" &&
      echo "$version" >"$dir/.debian-version" ||
      say "kernel source: could not extract $deb; the source-line test will skip $package"
  done
  return 0
}

setup_web() {
  ensure_rust
  ensure_wasm_target
  ensure_node
  ensure_npm_packages
  check_wasm_opt
  ensure_wasm_bindgen
  ensure_trunk
}

setup_test() {
  ensure_rust
  ensure_rust_component rustfmt
  ensure_rust_component clippy
  ensure_debian_packages chromium chromium-driver
  # The oracle tests run the fixtures' own comparator, a Python script.
  command -v python3 >/dev/null || ensure_debian_packages python3
  setup_web
  export CHROMEDRIVER=/usr/bin/chromedriver
  ensure_kernel_source
}
