#!/bin/bash
# Written by cloud-init. apt runs this (Acquire::http::Proxy-Auto-Detect) once per host and uses its
# output as that host's proxy: the cache URL when the cache answers, else DIRECT. Always exits 0.
# The URL is apt's own Acquire::http::Proxy (/etc/apt/apt.conf.d/01proxy), quoted for the shell by apt-config.
proxy_url=""
eval "$(apt-config shell proxy_url Acquire::http::Proxy 2>/dev/null)"
if [ -z "$proxy_url" ]; then echo DIRECT; exit 0; fi
hostport=${proxy_url#*://}
hostport=${hostport%%/*}
hostport=${hostport##*@}
host=${hostport%:*}
port=${hostport##*:}
if [ "$port" = "$hostport" ]; then port=80; fi
# host and port reach the probe as arguments, so nothing from the URL is ever run as code.
# shellcheck disable=SC2016
if timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2"' probe "$host" "$port" 2>/dev/null; then
  echo "$proxy_url"
else
  echo DIRECT
fi
exit 0
