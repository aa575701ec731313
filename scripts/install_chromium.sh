#!/usr/bin/env bash
# Make sure a headless Chromium is available (the market-brief tests render pages with it).
# Idempotent: prints the path of an existing chromium and exits 0; otherwise, as root, installs
# Debian's `chromium` package. Exits non-zero with the reason when it cannot.
set -uo pipefail

find_chromium() {
    local candidate
    for candidate in /usr/bin/chromium "$(command -v chromium 2>/dev/null)" \
                     "$(command -v chromium-browser 2>/dev/null)"; do
        if [ -n "$candidate" ] && [ -x "$candidate" ]; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

if path="$(find_chromium)"; then
    echo "$path"
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "install_chromium.sh: chromium is not installed and this is not root;" \
         "run 'sudo apt-get install chromium' (Debian) or put chromium on PATH" >&2
    exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install_chromium.sh: chromium is not installed and apt-get is missing;" \
         "install a chromium build and put it on PATH" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
log="$(mktemp -t install_chromium.XXXXXX)"
# The dpkg lock timeout lets two runs that start together wait for each other instead of failing.
if ! { apt-get -o DPkg::Lock::Timeout=300 update -qq \
       && apt-get -o DPkg::Lock::Timeout=300 install -y -qq chromium; } >"$log" 2>&1; then
    echo "install_chromium.sh: 'apt-get install chromium' failed; last lines of its output:" >&2
    tail -n 20 "$log" >&2
    rm -f "$log"
    exit 1
fi
rm -f "$log"

if path="$(find_chromium)"; then
    echo "$path"
    exit 0
fi
echo "install_chromium.sh: apt-get reported success but no chromium binary was found" >&2
exit 1
