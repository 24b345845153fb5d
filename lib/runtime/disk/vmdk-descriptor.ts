/**
 * The text descriptor embedded in a monolithicSparse VMDK. Its extent line names the file itself
 * (`RW <sectors> SPARSE "<name>.vmdk"`) and its CID identifies the content, so a byte copy of a
 * disk must get its own name and CID written back. The descriptor lives in a fixed area of the file
 * (offset and size, in sectors, are in the sparse header); it is rewritten in place, NUL-padded,
 * and nothing else in the file moves.
 *
 * Header layout (little-endian, after the 4-byte magic "KDMV"): version u32 @4, flags u32 @8,
 * capacity u64 @12, grain size u64 @20, descriptor offset u64 @28, descriptor size u64 @36
 * (qemu's block/vmdk.c VMDK4Header; qemu writes offset 1, size 20 sectors).
 */
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";

const SECTOR = 512;
const MAGIC = "KDMV";
/** Larger than any descriptor area a tool writes; refuses a header that points at the whole file. */
const MAX_DESCRIPTOR_BYTES = 1024 * 1024;

export interface EmbeddedDescriptor {
  /** The text up to the first NUL. */
  readonly text: string;
  /** Virtual size from the sparse header, in bytes. */
  readonly capacityBytes: number;
  /** Byte offset and size of the descriptor area in the file. */
  readonly offset: number;
  readonly size: number;
}

/** Reads the embedded descriptor of a monolithicSparse VMDK; throws when the file is not one. */
export async function readEmbeddedDescriptor(file: string): Promise<EmbeddedDescriptor> {
  const handle = await fs.promises.open(file, "r");
  try {
    const header = Buffer.alloc(SECTOR);
    const { bytesRead } = await handle.read(header, 0, SECTOR, 0);
    if (bytesRead < 44 || header.toString("latin1", 0, 4) !== MAGIC) {
      throw new Error(`${file} is not a sparse VMDK (no KDMV header)`);
    }
    const capacityBytes = Number(header.readBigUInt64LE(12)) * SECTOR;
    const offset = Number(header.readBigUInt64LE(28)) * SECTOR;
    const size = Number(header.readBigUInt64LE(36)) * SECTOR;
    if (offset < SECTOR || size < SECTOR || size > MAX_DESCRIPTOR_BYTES) {
      throw new Error(
        `${file} has no embedded descriptor (offset ${offset}, size ${size}): it is not a monolithicSparse VMDK`,
      );
    }
    const area = Buffer.alloc(size);
    const read = await handle.read(area, 0, size, offset);
    if (read.bytesRead !== size) throw new Error(`${file} ends inside its descriptor: the file is truncated`);
    const end = area.indexOf(0);
    return { text: area.toString("latin1", 0, end === -1 ? size : end), capacityBytes, offset, size };
  } finally {
    await handle.close();
  }
}

export interface DescriptorChanges {
  /** File name the single extent line names (the VMDK's own base name). */
  readonly extentFileName: string;
  /** New content ID, 8 hex digits. */
  readonly cid: string;
}

/** A fresh random CID that is not `ffffffff` (which means "no parent" in parentCID). */
export function randomCid(): string {
  for (;;) {
    const cid = randomBytes(4).toString("hex");
    if (cid !== "ffffffff") return cid;
  }
}

/**
 * The descriptor text with the one SPARSE extent renamed and CID replaced. Throws when the text is
 * not what a monolithicSparse disk holds (no CID line, not exactly one SPARSE extent).
 */
export function patchDescriptorText(text: string, changes: DescriptorChanges): string {
  if (!/^[0-9a-f]{8}$/.test(changes.cid))
    throw new Error(`CID ${JSON.stringify(changes.cid)} is not 8 lower-case hex digits`);
  // Inside the quotes of a text line: printable ASCII without '"'.
  if (!/^[\x20-\x21\x23-\x7e]+\.vmdk$/.test(changes.extentFileName)) {
    throw new Error(
      `${JSON.stringify(changes.extentFileName)} cannot name a VMDK extent: use printable ASCII without '"', ending in .vmdk`,
    );
  }
  const cidLine = /^CID=[0-9a-fA-F]{1,8}$/m;
  if (!cidLine.test(text)) throw new Error("the VMDK descriptor has no CID line");
  const extent = /^(RW \d+ SPARSE )"[^"\n]*"/gm;
  const extents = text.match(extent) ?? [];
  if (extents.length !== 1)
    throw new Error(
      `the VMDK descriptor has ${extents.length} SPARSE extents, expected 1 (monolithicSparse)`,
    );
  return text.replace(cidLine, `CID=${changes.cid}`).replace(extent, `$1"${changes.extentFileName}"`);
}

/**
 * Rewrites the embedded descriptor of `file` in place with `changes`; the new text must fit the
 * existing area (it does unless the name grows by kilobytes). Returns the text written.
 */
export async function rewriteEmbeddedDescriptor(file: string, changes: DescriptorChanges): Promise<string> {
  const current = await readEmbeddedDescriptor(file);
  const text = patchDescriptorText(current.text, changes);
  const bytes = Buffer.from(text, "latin1");
  if (bytes.length >= current.size) {
    throw new Error(
      `the new descriptor of ${file} (${bytes.length} bytes) does not fit its ${current.size}-byte area: use a shorter VM name`,
    );
  }
  const area = Buffer.alloc(current.size); // NUL padding, as the tools write it
  bytes.copy(area);
  const handle = await fs.promises.open(file, "r+");
  try {
    // No fsync: it would flush the whole copied disk, and qemu-img does not flush its output either;
    // the rename after this guards against a killed run, not against a power cut.
    await handle.write(area, 0, area.length, current.offset);
  } finally {
    await handle.close();
  }
  return text;
}
