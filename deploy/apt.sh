# deploy/apt.sh — sourced by the deploy scripts: need COMMAND PACKAGE WHY
# installs Debian's PACKAGE (apt-get, as root or through sudo) when COMMAND
# is not on the PATH, saying why on stderr.
need() {
  command -v "$1" >/dev/null 2>&1 && return 0
  echo "${0##*/}: installing Debian's $2 ($3)" >&2
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
}
