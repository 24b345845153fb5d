#!/usr/bin/env bash
# Builds the e2e golden image once and caches it: Debian bookworm (debootstrap minbase + packages.txt),
# generalised like a cloud image, as a self-booting disk (MBR, one ext4 partition labelled rootfs, GRUB
# for BIOS) in a zstd-compressed qcow2. Runs on the Linux CI machine as root (debootstrap, chroot,
# /proc and /dev mounts); no loop device and no mount of the image itself (mkfs.ext4 -d).
#
# Usage: e2e/golden/build.sh <cache-dir>
#   Prints the image folder (<cache-dir>/golden-bookworm-<key>) on stdout; progress goes to stderr.
#   <key> hashes this script, packages.txt and the suite: a changed recipe builds a new image, an
#   unchanged one is reused at once. The folder holds golden.qcow2 and manifest.json; it is renamed
#   into place only when complete, so an interrupted build never leaves an entry that gets used.
# Env: E2E_DEBIAN_MIRROR (default: http://deb.debian.org/debian)
set -euo pipefail

SUITE=bookworm
DISK_MIB=2048           # virtual size of the golden disk (baseImage.virtualSizeGb in the e2e config)
PART_START_MIB=1
# The guests' package source: the e2e runner serves a small repository here, on the host side of the
# vmnet bridge (the Mac's 10.10.0.1 on vmnet2). Written into manifest.json for the runner.
APT_REPO_URL="http://10.10.0.1:8080/"

here=$(cd "$(dirname "$0")" && pwd -P)
cache=${1:-}
if [ -z "$cache" ]; then
  echo "build.sh: usage: build.sh <cache-dir>" >&2
  exit 2
fi
mirror=${E2E_DEBIAN_MIRROR:-http://deb.debian.org/debian}
key=$({ cat "$here/build.sh" "$here/packages.txt"; echo "$SUITE"; } | sha256sum | cut -c1-16)
mkdir -p "$cache"
cache=$(cd "$cache" && pwd -P)
out="$cache/golden-$SUITE-$key"

say() { echo "golden: $*" >&2; }

if [ -f "$out/manifest.json" ]; then
  say "cached: $out"
  echo "$out"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  say "building the golden image needs root (debootstrap, chroot); run as root"
  exit 1
fi
for tool in debootstrap chroot mkfs.ext4 sfdisk grub-mkimage qemu-img flock sha256sum; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    say "missing tool $tool: apt-get install debootstrap e2fsprogs fdisk grub-pc-bin qemu-utils"
    exit 1
  fi
done
grub_dir=/usr/lib/grub/i386-pc
if [ ! -f "$grub_dir/boot.img" ]; then
  say "missing $grub_dir/boot.img: apt-get install grub-pc-bin"
  exit 1
fi

# One build per key at a time; a second caller waits and then finds the finished image.
exec 9>"$cache/.golden-$key.lock"
flock 9
if [ -f "$out/manifest.json" ]; then
  say "cached (built by another run): $out"
  echo "$out"
  exit 0
fi

# Leftovers of an interrupted build of this key are never used: remove them (after unmounting).
work=""
rootfs=""
unmount_rootfs() {
  local dir=$1 m
  for m in dev proc; do
    if mountpoint -q "$dir/$m" 2>/dev/null; then umount -l "$dir/$m" || true; fi
  done
}
remove_work() {
  local dir=$1
  [ -d "$dir" ] || return 0
  unmount_rootfs "$dir/rootfs"
  # --one-file-system: never descend into a mount that is still there (the host's /dev).
  rm -rf --one-file-system "$dir"
}
for stale in "$cache"/.build-"$key".*; do
  [ -e "$stale" ] || continue
  say "removing an interrupted build: $stale"
  remove_work "$stale"
done
cleanup() {
  if [ -n "$work" ]; then remove_work "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

started=$(date +%s)
work=$(mktemp -d "$cache/.build-$key.XXXXXX")
rootfs="$work/rootfs"
mapfile -t packages < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' "$here/packages.txt")

say "debootstrap $SUITE from $mirror"
# systemd-sysv makes systemd PID 1; cloud-init is installed through apt below because debootstrap
# cannot resolve its virtual dependency python3-cffi-backend-api-min.
if ! debootstrap --variant=minbase --include=systemd-sysv,udev,apt-utils "$SUITE" "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1; then
  tail -n 30 "$work/debootstrap.log" >&2
  say "debootstrap failed (log above)"
  exit 1
fi

mount -t proc proc "$rootfs/proc"
mount --bind /dev "$rootfs/dev"
# No service starts inside the chroot.
printf '#!/bin/sh\nexit 101\n' >"$rootfs/usr/sbin/policy-rc.d"
chmod 755 "$rootfs/usr/sbin/policy-rc.d"
rm -f "$rootfs/etc/resolv.conf"
cp /etc/resolv.conf "$rootfs/etc/resolv.conf"

in_root() { chroot "$rootfs" env DEBIAN_FRONTEND=noninteractive LC_ALL=C "$@"; }

say "apt-get install ${#packages[@]} packages"
if ! { in_root apt-get update -qq && in_root apt-get install -y -q --no-install-recommends "${packages[@]}"; } >"$work/apt.log" 2>&1; then
  tail -n 40 "$work/apt.log" >&2
  say "apt-get install in the chroot failed (log above)"
  exit 1
fi

say "locale, generalisation, cloud-init settings"
# Without en_US.UTF-8, cloud-init's locale module fails and status ends as error.
echo "en_US.UTF-8 UTF-8" >"$rootfs/etc/locale.gen"
in_root locale-gen >/dev/null
echo "LANG=en_US.UTF-8" >"$rootfs/etc/default/locale"

# A cloud image: no identity of its own; cloud-init and systemd create them at first boot.
: >"$rootfs/etc/machine-id"
rm -f "$rootfs/var/lib/dbus/machine-id"
ln -s /etc/machine-id "$rootfs/var/lib/dbus/machine-id"
rm -f "$rootfs"/etc/ssh/ssh_host_*
echo "localhost" >"$rootfs/etc/hostname"
printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' >"$rootfs/etc/hosts"
echo "LABEL=rootfs / ext4 defaults,errors=remount-ro 0 1" >"$rootfs/etc/fstab"
in_root systemctl enable systemd-networkd.service systemd-resolved.service >/dev/null 2>&1
ln -sf ../run/systemd/resolve/stub-resolv.conf "$rootfs/etc/resolv.conf"

# The guests' only package source is the runner's repository (no internet in the test network).
# cloud-init would otherwise rewrite sources.list to the Debian mirror at first boot.
echo "deb [trusted=yes] $APT_REPO_URL ./" >"$rootfs/etc/apt/sources.list"
rm -f "$rootfs"/etc/apt/sources.list.d/*
cat >"$rootfs/etc/cloud/cloud.cfg.d/90-e2e-golden.cfg" <<'CFG'
# e2e golden image: keep the image's package source (the test network's repository).
apt:
  preserve_sources_list: true
CFG

in_root apt-get clean
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs/usr/sbin/policy-rc.d"
find "$rootfs/var/log" -type f -exec truncate -s 0 {} +
rm -rf "$rootfs"/tmp/* "$rootfs"/var/tmp/*
kernel_version=$(basename "$(readlink -f "$rootfs/vmlinuz")" | sed 's/^vmlinuz-//')

# GRUB for BIOS: serial console, root by label. The modules go into /boot/grub for completeness.
mkdir -p "$rootfs/boot/grub/i386-pc"
cp "$grub_dir"/*.mod "$grub_dir"/*.lst "$rootfs/boot/grub/i386-pc/"
cat >"$rootfs/boot/grub/grub.cfg" <<'GRUB'
serial --unit=0 --speed=115200
terminal_input serial console
terminal_output serial console
set timeout=0
search --no-floppy --label rootfs --set=root
linux /vmlinuz root=LABEL=rootfs ro console=tty0 console=ttyS0,115200
initrd /initrd.img
boot
GRUB
unmount_rootfs "$rootfs"

say "disk image (mkfs.ext4 -d, MBR, GRUB)"
part_mib=$((DISK_MIB - PART_START_MIB))
truncate -s "${part_mib}M" "$work/part.img"
mkfs.ext4 -q -F -L rootfs -d "$rootfs" "$work/part.img"
truncate -s "${DISK_MIB}M" "$work/disk.raw"
printf 'label: dos\nstart=%dMiB, type=83, bootable\n' "$PART_START_MIB" | sfdisk -q "$work/disk.raw"
dd if="$work/part.img" of="$work/disk.raw" bs=1M seek="$PART_START_MIB" conv=notrunc,sparse status=none
grub-mkimage -O i386-pc -p '(hd0,msdos1)/boot/grub' -o "$work/core.img" \
  biosdisk part_msdos ext2 search search_label normal linux configfile serial terminal echo test
# grub-bios-setup refuses a plain file; boot.img (first 440 bytes, keeping the partition table) and
# core.img right after the MBR, whose default blocklist (sector 1 onwards) this layout matches.
core_sectors=$(( ($(stat -c %s "$work/core.img") + 511) / 512 ))
if [ "$core_sectors" -ge $((PART_START_MIB * 2048 - 1)) ]; then
  say "core.img ($core_sectors sectors) does not fit before the partition"
  exit 1
fi
dd if="$grub_dir/boot.img" of="$work/disk.raw" bs=440 count=1 conv=notrunc status=none
dd if="$work/core.img" of="$work/disk.raw" bs=512 seek=1 conv=notrunc status=none

mkdir "$work/image"
qemu-img convert -f raw -O qcow2 -c -o compression_type=zstd "$work/disk.raw" "$work/image/golden.qcow2"
sha=$(sha256sum "$work/image/golden.qcow2" | cut -d' ' -f1)
bytes=$(stat -c %s "$work/image/golden.qcow2")
cat >"$work/image/manifest.json" <<JSON
{
  "key": "$key",
  "suite": "$SUITE",
  "image": "golden.qcow2",
  "sha256": "$sha",
  "bytes": $bytes,
  "virtualSizeMiB": $DISK_MIB,
  "kernel": "$kernel_version",
  "aptRepoUrl": "$APT_REPO_URL",
  "buildSeconds": $(( $(date +%s) - started ))
}
JSON
mv "$work/image" "$out"
# Images of older recipes are never used again; keep only this one (about 320 MiB each).
for old in "$cache"/golden-"$SUITE"-*; do
  if [ "$old" != "$out" ] && [ -f "$old/manifest.json" ]; then
    say "removing the image of an older recipe: $old"
    rm -rf "$old"
    rm -f "$cache/.golden-$(basename "$old" | sed "s/^golden-$SUITE-//").lock"
  fi
done
say "built $out in $(( $(date +%s) - started )) s ($((bytes / 1048576)) MiB, kernel $kernel_version)"
echo "$out"
