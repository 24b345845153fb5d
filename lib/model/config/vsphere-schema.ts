import { z } from "zod";

/**
 * The `vsphere:` block of cluster.yaml (target: vsphere): where in vCenter the lab lands. Names are
 * vSphere inventory names; credentials never appear here: the provider and govc read VSPHERE_USER and
 * VSPHERE_PASSWORD from the environment. The server is this block's `server` (the provider's
 * VSPHERE_SERVER does not override a configured server). A message says what the value must be; the
 * parser adds "is missing" when a required one is left out.
 */

/** An inventory name: printable, no '/' (a path separator in vSphere inventory paths), at most 80 characters. */
const INVENTORY_NAME = /^[^/\p{Cc}%\\]{1,80}$/u;
const NAME_FIX = "use the name as vSphere shows it: 1-80 characters, no '/', '\\', '%' or control characters";
/** A VM folder below the datacenter's VM folder: names joined by '/'. */
const FOLDER_PATH = /^[^/\p{Cc}%\\]{1,80}(\/[^/\p{Cc}%\\]{1,80}){0,7}$/u;
/** host or host:port; a DNS name or an IPv4 address. */
const SERVER = /^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?(:[0-9]{1,5})?$/;

const name = (what: string) =>
  z
    .string({ error: `must be the ${what}'s name as vSphere shows it` })
    .trim()
    .regex(INVENTORY_NAME, { error: `is not a vSphere ${what} name; ${NAME_FIX}` });

export const VsphereConfigSchema = z
  .strictObject({
    /** vCenter (or ESXi) address: host or host:port, no scheme, no credentials. */
    server: z.string({ error: "must be the vCenter address, e.g. vcenter.lab.local" }).regex(SERVER, {
      error:
        "is not a server address; write the vCenter host name or IPv4 address, optionally with :port, without https:// or a user (credentials go in VSPHERE_USER / VSPHERE_PASSWORD)",
    }),
    /** Skip TLS verification (self-signed vCenter certificates); off unless the user opts out here. */
    allowUnverifiedSsl: z.boolean({ error: "must be true or false" }).default(false),
    datacenter: name("datacenter"),
    /** The compute cluster the VMs run in (DRS places them); or `host` for a standalone ESXi host. */
    cluster: name("compute cluster").optional(),
    host: name("ESXi host").optional(),
    /** A resource pool inside the cluster or host; the root pool when left out. */
    resourcePool: name("resource pool").optional(),
    datastore: name("datastore"),
    /** The VM folder under the datacenter's VM folder, e.g. k8s-lab; it must exist. */
    folder: z
      .string({ error: "must be the VM folder the lab's VMs go in, e.g. k8s-lab" })
      .trim()
      .regex(FOLDER_PATH, { error: `is not a VM folder path like k8s-lab or labs/k8s; ${NAME_FIX}` }),
    networks: z.strictObject(
      {
        /** The port group the gateways' LAN NIC is on (network.lan.subnet). */
        lan: name("port group"),
        /** The port group of the cluster's internal network (network.nat.subnet), routed by network.nat.gateway. */
        internal: name("port group"),
      },
      { error: "must name the port groups, e.g. {lan: VM Network, internal: k8s-internal}" },
    ),
    /** An existing template VM of Ubuntu 24.04's cloud image (cloud-init with the VMware datasource). */
    template: name("template VM"),
    /** Thin or thick disks for the clones. */
    diskProvisioning: z.enum(["thin", "thick"], { error: "must be thin or thick" }).default("thin"),
  })
  .superRefine((v, ctx) => {
    if ((v.cluster === undefined) === (v.host === undefined))
      // The issue names the cluster's value (or none), not the whole block.
      ctx.addIssue({
        code: "custom",
        path: ["cluster"],
        input: v.cluster,
        message:
          v.cluster === undefined
            ? "is missing; name exactly one of cluster (a DRS cluster) or host (a standalone ESXi host)"
            : "is set together with host; name exactly one of cluster (a DRS cluster) or host (a standalone ESXi host)",
      });
  });
