#!/bin/sh
# Regenerate the build system from a clean checkout.
set -e
cd "$(dirname "$0")"
mkdir -p m4
autoreconf -fi
