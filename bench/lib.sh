# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034  # sourced: the variables are read by its callers
# Sourced first by bench/run.sh and bench/profile.sh: the tree (ROOT) as
# the working directory, the build directory BUILD made absolute (the peers
# start ufoud elsewhere), and its ufoud and ufou.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
UFOUD=$BUILD/ufoud
UFOU=$BUILD/ufou
