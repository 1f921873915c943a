# Sourced by quickstart.sh and test.sh: install what building and testing
# libricheta needs on Debian 12 (bookworm). Runs apt-get as root (or through
# sudo). Set RICHETA_NO_APT=1 to skip when the packages are already there.
RICHETA_DEBS="meson ninja-build pkg-config gcc g++ libc6-dev binutils libopenblas-dev liblapacke-dev libgfortran-12-dev \
check zlib1g-dev libsqlite3-dev doxygen gnuplot-nox python3 python3-numpy python3-matplotlib cppcheck \
dataset-fashion-mnist"
# Test-only extras: the reliability gates (valgrind, clang with its sanitizer
# runtimes), the ABI check (libabigail), the PyTorch cross-check, the
# Python API reference (Sphinx), and Open MPI (installed before the build,
# so that richeta-mpi is built and tested), pip and venv (the install test
# of the Python package).
RICHETA_TEST_DEBS="valgrind abigail-tools clang libclang-rt-14-dev python3-torch python3-sphinx \
libopenmpi-dev openmpi-bin python3-pip python3-venv"

# richeta_install_deps [test]: with "test", also the test-only extras.
richeta_install_deps() {
  debs=$RICHETA_DEBS
  [ "${1:-}" = test ] && debs="$debs $RICHETA_TEST_DEBS"
  if [ "${RICHETA_NO_APT:-0}" = 1 ]; then
    echo "RICHETA_NO_APT=1: not installing packages"
    return 0
  fi
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo=sudo; else
      echo "need root (or sudo) to apt-get install: $debs" >&2
      return 1
    fi
  fi
  export DEBIAN_FRONTEND=noninteractive
  echo "== apt-get update && apt-get install -y (build, test and demo dependencies)"
  # shellcheck disable=SC2086
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null &&
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      $debs >/dev/null
}

# Configure (or reconfigure) and build in $1 with extra meson args.
richeta_build() {
  dir=$1
  shift
  if [ -f "$dir/build.ninja" ]; then
    meson setup --reconfigure "$dir" "$@" >/dev/null
  else
    meson setup "$dir" "$@" >/dev/null
  fi
  ninja -C "$dir"
}
