#!/usr/bin/env bash
# For the negative run `--negative bios-disk`: rewrites a golden image (GPT, ESP, root as partition 1)
# into a disk that boots only with BIOS: an MBR holding just the root partition, GRUB for BIOS in the
# MBR and the gap after it, no EFI system partition. UEFI firmware finds nothing to boot on it.
#
# Usage: e2e/golden/bios-only.sh <golden.qcow2> <out.qcow2>
# Needs: qemu-img, sfdisk (fdisk), grub-mkimage with /usr/lib/grub/i386-pc (grub-pc-bin).
set -euo pipefail

in=${1:-}
out=${2:-}
if [ -z "$in" ] || [ -z "$out" ]; then
  echo "bios-only.sh: usage: bios-only.sh <golden.qcow2> <out.qcow2>" >&2
  exit 2
fi
grub_dir=/usr/lib/grub/i386-pc
for tool in qemu-img sfdisk grub-mkimage; do
  command -v "$tool" >/dev/null 2>&1 || { echo "bios-only.sh: missing $tool: apt-get install qemu-utils fdisk grub-pc-bin" >&2; exit 1; }
done
[ -f "$grub_dir/boot.img" ] || { echo "bios-only.sh: missing $grub_dir/boot.img: apt-get install grub-pc-bin" >&2; exit 1; }

work=$(mktemp -d "$(dirname "$out")/.bios-only.XXXXXX")
trap 'rm -rf "$work"' EXIT
qemu-img convert -f qcow2 -O raw "$in" "$work/disk.raw"
# The root partition (number 1) where build.sh put it.
read -r start size < <(sfdisk -d "$work/disk.raw" | sed -n 's/^.*raw1 : start= *\([0-9]*\), size= *\([0-9]*\).*/\1 \2/p')
if [ -z "${start:-}" ]; then
  echo "bios-only.sh: $in has no partition 1" >&2
  exit 1
fi
# A DOS label replaces GPT (both headers wiped); the root keeps its sectors, so its filesystem is intact.
printf 'label: dos\nstart=%d, size=%d, type=83, bootable\n' "$start" "$size" | sfdisk -q --wipe always "$work/disk.raw"
grub-mkimage -O i386-pc -p '(hd0,msdos1)/boot/grub' -o "$work/core.img" \
  biosdisk part_msdos ext2 search search_label normal linux configfile echo test gzio
core_sectors=$(( ($(stat -c %s "$work/core.img") + 511) / 512 ))
if [ "$core_sectors" -ge $((start - 1)) ]; then
  echo "bios-only.sh: core.img ($core_sectors sectors) does not fit before the root partition" >&2
  exit 1
fi
# boot.img in the MBR's first 440 bytes (the partition table stays), core.img from sector 1: the
# default blocklist of both, as grub-bios-setup would write for this layout.
dd if="$grub_dir/boot.img" of="$work/disk.raw" bs=440 count=1 conv=notrunc status=none
dd if="$work/core.img" of="$work/disk.raw" bs=512 seek=1 conv=notrunc status=none
qemu-img convert -f raw -O qcow2 "$work/disk.raw" "$work/out.qcow2"
mv "$work/out.qcow2" "$out"
