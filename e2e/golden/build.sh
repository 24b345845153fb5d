#!/usr/bin/env bash
# Builds an e2e golden image once and caches it, laid out like Ubuntu's cloud image: Debian trixie
# (mmdebstrap minbase + packages.txt; cloud-init 25.x, netplan 1.x, systemd 257), generalised like a
# cloud image, on a GPT disk with an EFI system partition (FAT, EFI/BOOT/BOOTX64.EFI or BOOTAA64.EFI:
# a standalone GRUB) and an ext4 root as partition 1, last on the disk so growpart can grow it, stored
# as a zstd-compressed qcow2. Runs on the Linux CI machine as root; an arm64 image is built under
# qemu-user emulation (binfmt_misc). No loop device and no mount of the image itself: the filesystems
# are written from folders (mkfs.ext4 -d, mtools).
#
# Usage: e2e/golden/build.sh <cache-dir> [amd64|arm64]     (default amd64)
#   Prints the image folder (<cache-dir>/golden-trixie-<arch>-<key>) on stdout; progress goes to stderr.
#   <key> hashes this script, packages.txt, the suite and the architecture: a changed recipe builds a
#   new image, an unchanged one is reused at once. The folder holds golden.qcow2 and manifest.json; it
#   is renamed into place only when complete, so an interrupted build never leaves an entry that gets used.
# Env: E2E_DEBIAN_MIRROR (default: http://deb.debian.org/debian)
set -euo pipefail

SUITE=trixie
DISK_MIB=2048           # virtual size of the golden disk (baseImage.virtualSizeGb in the e2e config)
ESP_START_MIB=1         # partition 15, as in Ubuntu's image (they number the ESP 15 and the root 1)
ESP_MIB=64
ROOT_START_MIB=$((ESP_START_MIB + ESP_MIB))
# The guests' package source: the e2e runner serves a small repository here, on the host side of the
# vmnet bridge (the Mac's 10.10.0.1 on vmnet2). Written into manifest.json for the runner.
APT_REPO_URL="http://10.10.0.1:8080/"

here=$(cd "$(dirname "$0")" && pwd -P)
cache=${1:-}
arch=${2:-amd64}
if [ -z "$cache" ]; then
  echo "build.sh: usage: build.sh <cache-dir> [amd64|arm64]" >&2
  exit 2
fi
case "$arch" in
  amd64) efi_target=x86_64-efi efi_loader=BOOTX64.EFI console=ttyS0 extra_mods="efi_gop" ;;
  arm64) efi_target=arm64-efi efi_loader=BOOTAA64.EFI console=ttyAMA0 extra_mods="" ;;
  *)
    echo "build.sh: architecture $arch is not amd64 or arm64" >&2
    exit 2
    ;;
esac
mirror=${E2E_DEBIAN_MIRROR:-http://deb.debian.org/debian}
key=$({ cat "$here/build.sh" "$here/packages.txt"; echo "$SUITE $arch"; } | sha256sum | cut -c1-16)
mkdir -p "$cache"
cache=$(cd "$cache" && pwd -P)
name="golden-$SUITE-$arch"
out="$cache/$name-$key"

say() { echo "golden ($arch): $*" >&2; }

if [ -f "$out/manifest.json" ]; then
  say "cached: $out"
  echo "$out"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  say "building the golden image needs root (mmdebstrap, chroot); run as root"
  exit 1
fi
for tool in mmdebstrap chroot mkfs.ext4 mkfs.vfat mmd mcopy sfdisk qemu-img flock sha256sum; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    say "missing tool $tool: apt-get install mmdebstrap e2fsprogs dosfstools mtools fdisk qemu-utils"
    exit 1
  fi
done

# A foreign architecture runs under qemu-user: binfmt_misc must know the emulator. Registered here
# when missing (the F flag keeps the emulator usable inside the chroot without copying it there).
ensure_binfmt() {
  local host
  host=$(dpkg --print-architecture)
  [ "$arch" = "$host" ] && return 0
  local qarch=aarch64
  [ "$arch" = amd64 ] && qarch=x86_64
  local conf=/usr/lib/binfmt.d/qemu-$qarch.conf
  if ! command -v arch-test >/dev/null 2>&1 || [ ! -f "$conf" ]; then
    say "building $arch on $host needs qemu-user: apt-get install qemu-user-static binfmt-support arch-test"
    exit 1
  fi
  if [ ! -e /proc/sys/fs/binfmt_misc/register ]; then
    mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
  fi
  if [ ! -e "/proc/sys/fs/binfmt_misc/qemu-$qarch" ]; then
    cat "$conf" >/proc/sys/fs/binfmt_misc/register
  fi
  if ! arch-test "$arch" >/dev/null 2>&1; then
    say "this machine cannot run $arch programs even with qemu-user (arch-test $arch fails)"
    exit 1
  fi
}
ensure_binfmt

# One build per key at a time; a second caller waits and then finds the finished image.
exec 9>"$cache/.golden-$arch-$key.lock"
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
for stale in "$cache/.build-$arch-$key".*; do
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
work=$(mktemp -d "$cache/.build-$arch-$key.XXXXXX")
rootfs="$work/rootfs"
packages=$(sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' "$here/packages.txt" | paste -sd, -)

say "mmdebstrap $SUITE $arch from $mirror"
# systemd-sysv makes systemd PID 1; the kernel and GRUB's EFI modules are the architecture's own.
# Docs and man pages are left out: nothing reads them, and every file costs time under emulation.
if ! mmdebstrap --variant=minbase --architectures="$arch" \
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*' \
  --include="systemd-sysv,udev,apt-utils,linux-image-$arch,grub-efi-$arch-bin,$packages" \
  "$SUITE" "$rootfs" "$mirror" >"$work/mmdebstrap.log" 2>&1; then
  tail -n 30 "$work/mmdebstrap.log" >&2
  say "mmdebstrap failed (log above)"
  exit 1
fi

mount -t proc proc "$rootfs/proc"
mount --bind /dev "$rootfs/dev"
in_root() { chroot "$rootfs" env DEBIAN_FRONTEND=noninteractive LC_ALL=C "$@"; }

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

kernel_version=$(find "$rootfs/boot" -maxdepth 1 -name 'vmlinuz-*' -printf '%f\n' | sed 's/^vmlinuz-//' | sort -V | tail -n 1)
if [ -z "$kernel_version" ] || [ ! -f "$rootfs/boot/initrd.img-$kernel_version" ]; then
  say "no kernel and initrd in $rootfs/boot"
  exit 1
fi

# GRUB for EFI, standalone: its embedded config finds the root by label and reads /boot/grub/grub.cfg
# there, as Ubuntu's ESP grub.cfg does. Built in the root by the architecture's own grub-mkimage.
mkdir -p "$rootfs/boot/grub"
cat >"$rootfs/boot/grub/grub.cfg" <<GRUB
set timeout=0
linux /boot/vmlinuz-$kernel_version root=LABEL=rootfs ro console=tty0 console=$console
initrd /boot/initrd.img-$kernel_version
boot
GRUB
cat >"$rootfs/tmp/early.cfg" <<'GRUB'
search --no-floppy --label rootfs --set=root
set prefix=($root)/boot/grub
configfile $prefix/grub.cfg
GRUB
# shellcheck disable=SC2086 # extra_mods is a word list
in_root grub-mkimage -O "$efi_target" -c /tmp/early.cfg -p /boot/grub -o "/tmp/$efi_loader" \
  part_gpt fat ext2 search search_label normal linux configfile echo test gzio $extra_mods
mv "$rootfs/tmp/$efi_loader" "$work/$efi_loader"

in_root apt-get clean
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/tmp/* "$rootfs"/var/tmp/*
find "$rootfs/var/log" -type f -exec truncate -s 0 {} +
unmount_rootfs "$rootfs"

say "disk image (GPT: ESP with $efi_loader, ext4 root by mkfs.ext4 -d)"
esp_kib=$((ESP_MIB * 1024))
mkfs.vfat -F 32 -n UEFI -C "$work/esp.img" "$esp_kib" >/dev/null
mmd -i "$work/esp.img" ::/EFI ::/EFI/BOOT
mcopy -i "$work/esp.img" "$work/$efi_loader" "::/EFI/BOOT/$efi_loader"
# The root ends 1 MiB before the disk's end, leaving room for GPT's backup header.
root_mib=$((DISK_MIB - ROOT_START_MIB - 1))
truncate -s "${root_mib}M" "$work/root.img"
mkfs.ext4 -q -F -L rootfs -d "$rootfs" "$work/root.img"
truncate -s "${DISK_MIB}M" "$work/disk.raw"
sfdisk -q "$work/disk.raw" <<PARTS
label: gpt
$work/disk.raw1 : start=$((ROOT_START_MIB * 2048)), size=$((root_mib * 2048)), type=linux, name="cloudimg-rootfs"
$work/disk.raw15 : start=$((ESP_START_MIB * 2048)), size=$((ESP_MIB * 2048)), type=uefi, name="UEFI"
PARTS
dd if="$work/esp.img" of="$work/disk.raw" bs=1M seek="$ESP_START_MIB" conv=notrunc,sparse status=none
dd if="$work/root.img" of="$work/disk.raw" bs=1M seek="$ROOT_START_MIB" conv=notrunc,sparse status=none

mkdir "$work/image"
qemu-img convert -f raw -O qcow2 -c -o compression_type=zstd "$work/disk.raw" "$work/image/golden.qcow2"
sha=$(sha256sum "$work/image/golden.qcow2" | cut -d' ' -f1)
bytes=$(stat -c %s "$work/image/golden.qcow2")
cloud_init_version=$(dpkg-query --admindir="$rootfs/var/lib/dpkg" -W -f='${Version}' cloud-init)
cat >"$work/image/manifest.json" <<JSON
{
  "key": "$key",
  "suite": "$SUITE",
  "arch": "$arch",
  "firmware": "efi",
  "partitionTable": "gpt",
  "efiLoader": "EFI/BOOT/$efi_loader",
  "image": "golden.qcow2",
  "sha256": "$sha",
  "bytes": $bytes,
  "virtualSizeMiB": $DISK_MIB,
  "kernel": "$kernel_version",
  "cloudInit": "$cloud_init_version",
  "aptRepoUrl": "$APT_REPO_URL",
  "buildSeconds": $(( $(date +%s) - started ))
}
JSON
mv "$work/image" "$out"
# Images of older recipes of this architecture are never used again; keep only this one (~350 MiB each).
for old in "$cache"/golden-*-"$arch"-*; do
  if [ "$old" != "$out" ] && [ -f "$old/manifest.json" ]; then
    say "removing the image of an older recipe: $old"
    rm -rf "$old"
  fi
done
say "built $out in $(( $(date +%s) - started )) s ($((bytes / 1048576)) MiB, kernel $kernel_version, cloud-init $cloud_init_version)"
echo "$out"
