import { z } from "zod";

/**
 * The guest-config manifest (`generated/<vm>/guest/manifest.json`): which rendered file goes where on
 * the guest, how it is checked and which units it concerns. Written by the GuestConfig construct,
 * read by scripts/guest-config (lib/runtime/guest/manifest.ts), which builds the bundle sent to the guest's applier.
 */
export const GUEST_MANIFEST_NAME = "manifest.json";

const entrySchema = z.strictObject({
  source: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/),
  target: z
    .string()
    .regex(/^\/[A-Za-z0-9._/-]+$/)
    .refine((t) => !t.split("/").includes(".."), "must not contain '..'"),
  kind: z.enum(["file", "hosts-block"]),
  mode: z.string().regex(/^0[0-7]{3}$/),
  validate: z.enum(["nginx", "keepalived"]).nullable(),
  units: z.array(z.string().regex(/^[A-Za-z0-9@._-]+\.service$/)),
});

export const manifestSchema = z.strictObject({ vm: z.string().min(1), files: z.array(entrySchema).min(1) });

export type GuestFileEntry = z.infer<typeof entrySchema>;
