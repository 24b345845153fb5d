#!/usr/bin/python3
"""k8s-lab guest applier, installed by cloud-init as /usr/local/sbin/k8s-lab-apply.

The host's guest-config step runs `sudo -n /usr/local/sbin/k8s-lab-apply` over SSH and sends a JSON
bundle on stdin, so no value from the project ever becomes part of a shell command on the guest.
Bundle: {"vm": NAME, "files": [{"target", "kind": "file"|"hosts-block", "content", "mode",
"validate": null|"nginx"|"keepalived", "units": [unit, ...]}]}.
Each changed file is validated with its consumer before it replaces the old one (atomically); units
of changed files are reloaded or restarted, and every listed unit is enabled and left running. When a
unit fails with the new files, the old files are put back and the unit is restarted with them.
Prints a JSON summary; exit 0 when everything is applied, 1 otherwise (the summary says why).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

HOSTS_BEGIN = "# BEGIN k8s-lab"
HOSTS_END = "# END k8s-lab"
COMMAND_TIMEOUT = 60


def run(argv):
    try:
        done = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=COMMAND_TIMEOUT, check=False)
        return done.returncode, done.stdout.decode("utf-8", "replace").strip()
    except subprocess.TimeoutExpired:
        return 124, "timed out after %d s" % COMMAND_TIMEOUT
    except OSError as err:
        return 127, str(err)


def read(path):
    try:
        with open(path, "r", encoding="utf-8") as f:
            return f.read()
    except FileNotFoundError:
        return None


def merge_hosts_block(current, block):
    """Replaces the marked block in /etc/hosts (or appends it), keeping every other line."""
    lines = (current or "").splitlines(keepends=True)
    out, inside, placed = [], False, False
    for line in lines:
        if line.startswith(HOSTS_BEGIN):
            inside = True
            if not placed:
                out.append(block)
                placed = True
            continue
        if inside:
            if line.startswith(HOSTS_END):
                inside = False
            continue
        out.append(line)
    if not placed:
        if out and not out[-1].endswith("\n"):
            out[-1] += "\n"
        out.append(block)
    return "".join(out)


def write_atomic(path, content, mode):
    directory = os.path.dirname(path)
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".k8s-lab-", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(content)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def validate(kind, path, tools):
    if kind is None:
        return 0, ""
    if kind == "nginx":
        return run([tools.nginx, "-t", "-q", "-c", path])
    if kind == "keepalived":
        return run([tools.keepalived, "-t", "-l", "-f", path])
    return 2, "unknown validator %r" % kind


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # Test seams: the guest uses the defaults.
    parser.add_argument("--root", default="/", help="prefix for every target path")
    parser.add_argument("--systemctl", default="systemctl")
    parser.add_argument("--nginx", default="nginx")
    parser.add_argument("--keepalived", default="keepalived")
    tools = parser.parse_args()

    bundle = json.load(sys.stdin)
    summary = {"vm": bundle.get("vm"), "changed": [], "unchanged": [], "units": [], "errors": []}
    previous = {}  # target -> (path, old content or None, mode)
    touched_units = []
    units = []

    for entry in bundle["files"]:
        target = entry["target"]
        if not target.startswith("/") or ".." in target.split("/"):
            summary["errors"].append("refused target %r: not an absolute path" % target)
            continue
        path = os.path.join(tools.root, target.lstrip("/"))
        mode = int(entry.get("mode", "0644"), 8)
        for unit in entry.get("units", []):
            if unit not in units:
                units.append(unit)
        current = read(path)
        wanted = merge_hosts_block(current, entry["content"]) if entry["kind"] == "hosts-block" else entry["content"]
        if current == wanted:
            summary["unchanged"].append(target)
            continue
        # Validate a candidate next to the target, so relative includes resolve the same way.
        fd, candidate = tempfile.mkstemp(prefix=".k8s-lab-check-", dir=os.path.dirname(path) if os.path.isdir(os.path.dirname(path)) else None)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(wanted)
            code, output = validate(entry.get("validate"), candidate, tools)
        finally:
            os.unlink(candidate)
        if code != 0:
            summary["errors"].append("%s: the new file fails %s's check (exit %d): %s" % (target, entry.get("validate"), code, output[-800:]))
            continue
        previous[target] = (path, current, mode)
        write_atomic(path, wanted, mode)
        summary["changed"].append(target)
        for unit in entry.get("units", []):
            if unit not in touched_units:
                touched_units.append(unit)

    for unit in units:
        run([tools.systemctl, "enable", unit])
        action = "reload-or-restart" if unit in touched_units else "start"
        code, output = run([tools.systemctl, action, unit])
        if code == 0:
            code, output = run([tools.systemctl, "is-active", unit])
        if code == 0:
            summary["units"].append("%s: %s" % (unit, "reloaded" if unit in touched_units else "running"))
            continue
        summary["errors"].append("%s failed after %s (exit %d): %s" % (unit, action, code, output[-800:]))
        # Put the files of this run back and bring the unit up with them.
        for target, (path, old, mode) in previous.items():
            if old is None:
                os.unlink(path)
            else:
                write_atomic(path, old, mode)
            summary["changed"].remove(target)
            summary["errors"].append("%s: restored the previous version" % target)
        previous.clear()
        for touched in touched_units:
            run([tools.systemctl, "restart", touched])

    json.dump(summary, sys.stdout)
    sys.stdout.write("\n")
    return 1 if summary["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
