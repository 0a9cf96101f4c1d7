# Sourced by the install scripts (brokers.sh, profilers.sh): Debian packages that
# are missing, installed the same way everywhere.
#
#   apt_install WHO PACKAGE...   apt-get update once, then apt-get install -y the
#                                packages (through sudo when not root); WHO names
#                                the caller in the line it prints first

apt_install() {
  local who=$1
  shift
  echo "$who: installing $*"
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y --no-install-recommends "$@"
}
