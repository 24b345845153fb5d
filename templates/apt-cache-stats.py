#!/usr/bin/python3
"""k8s-lab apt cache report, installed by cloud-init as /usr/local/sbin/apt-cache-stats on the cache VM.

`npm run apt-cache -- status` runs `sudo -n /usr/local/sbin/apt-cache-stats` over SSH. Prints one JSON
object: whether apt-cacher-ng is active, its port, requests served to clients and fetched from the
mirrors (from its transfer log), and the cache folder's size on disk.
apt-cacher-ng's transfer log has one line per transfer, `time|type|bytes|client|path`, type O for data
sent to a client and I for data fetched from upstream (a miss); every request served is an O line, so
hits = O lines - I lines.
"""
import argparse
import json
import os
import re
import subprocess

LOG = "/var/log/apt-cacher-ng/apt-cacher.log"
CACHE = "/var/cache/apt-cacher-ng"
CONF_DIR = "/etc/apt-cacher-ng"


def port_of(root):
    port = 3142
    conf_dir = os.path.join(root, CONF_DIR.lstrip("/"))
    try:
        names = sorted(n for n in os.listdir(conf_dir) if n.endswith(".conf"))
    except FileNotFoundError:
        return port
    for name in names:  # later files override earlier ones, as apt-cacher-ng reads them
        with open(os.path.join(conf_dir, name), encoding="utf-8", errors="replace") as f:
            for line in f:
                m = re.match(r"\s*Port\s*:\s*(\d+)\s*$", line)
                if m:
                    port = int(m.group(1))
    return port


def transfers(root):
    counts = {"served": 0, "fetched": 0, "served_bytes": 0, "fetched_bytes": 0, "unparsed": 0}
    try:
        f = open(os.path.join(root, LOG.lstrip("/")), encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return counts, False
    with f:
        for line in f:
            parts = line.rstrip("\n").split("|")
            if len(parts) < 5 or not parts[2].isdigit():
                counts["unparsed"] += 1
                continue
            if parts[1] == "O":
                counts["served"] += 1
                counts["served_bytes"] += int(parts[2])
            elif parts[1] == "I":
                counts["fetched"] += 1
                counts["fetched_bytes"] += int(parts[2])
    return counts, True


def disk_usage(path):
    total = 0
    for dirpath, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(dirpath, name)).st_blocks * 512
            except OSError:
                pass
    return total


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default="/", help="test seam: prefix for every path")
    parser.add_argument("--systemctl", default="systemctl")
    args = parser.parse_args()
    try:
        state = subprocess.run([args.systemctl, "is-active", "apt-cacher-ng.service"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=20, check=False).stdout.decode().strip() or "unknown"
    except (OSError, subprocess.TimeoutExpired) as err:
        state = "unknown (%s)" % err
    counts, has_log = transfers(args.root)
    cache = os.path.join(args.root, CACHE.lstrip("/"))
    print(json.dumps({
        "service": state,
        "port": port_of(args.root),
        "log": LOG if has_log else None,
        "requests": counts["served"],
        "hits": max(counts["served"] - counts["fetched"], 0),
        "misses": counts["fetched"],
        "servedBytes": counts["served_bytes"],
        "fetchedBytes": counts["fetched_bytes"],
        "unparsedLines": counts["unparsed"],
        "cacheDir": CACHE,
        "cacheBytes": disk_usage(cache) if os.path.isdir(cache) else None,
    }))


if __name__ == "__main__":
    main()
