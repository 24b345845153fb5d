/**
 * The validated, frozen cluster model. `loadClusterConfig` turns the user's config file into this;
 * everything downstream (constructs, renderers, scripts' inputs) reads only this shape.
 * All paths are relative to the project root (Terraform entry points run from there).
 */
export type Arch = "amd64" | "arm64";
export type Role = "gateway" | "master" | "worker" | "apt-cache";
export type AddressingMode = "dhcp" | "static";
export type NicNetwork = "lan" | "nat";
/** Where the lab runs: vmrun on this machine (Fusion, Workstation), or a vSphere cluster. */
export type Target = "fusion" | "vsphere";

/** Where in vCenter the lab lands (target: vsphere); no credentials (they stay in the environment). */
export interface VsphereSpec {
  /** vCenter address, host or host:port. */
  readonly server: string;
  readonly allowUnverifiedSsl: boolean;
  readonly datacenter: string;
  /** Exactly one of cluster and host is set. */
  readonly cluster?: string;
  readonly host?: string;
  readonly resourcePool?: string;
  readonly datastore: string;
  /** VM folder relative to the datacenter's VM folder, e.g. `k8s-lab`. */
  readonly folder: string;
  /** Port groups: the gateways' LAN side and the internal network. */
  readonly networks: { readonly lan: string; readonly internal: string };
  /** The template VM the clones are made from. */
  readonly template: string;
  readonly diskProvisioning: "thin" | "thick";
}

export interface NicSpec {
  /** Guest interface name, set by cloud-init by matching the MAC (`ens160`, `ens192`). */
  readonly ifname: string;
  /** `nat` = the custom vmnet (vmnet2); `lan` = bridged to the Mac's LAN. */
  readonly network: NicNetwork;
  /** Static MAC in VMware's manual range 00:50:56:00:00:00-00:50:56:3F:FF:FF, lower case. */
  readonly mac: string;
  /** PCI slot in the VMX, which gives the same name on Intel (160 -> ens160, 192 -> ens192). */
  readonly pciSlot: number;
  /** Static IPv4 address (no prefix) when the VM is addressed statically on this NIC; undefined = DHCP. */
  readonly address?: string;
}

export interface VmSpec {
  readonly name: string;
  readonly role: Role;
  readonly cpus: number;
  readonly memoryMb: number;
  readonly diskGb: number;
  /** First NIC is ethernet0. Gateways: [lan ens160, nat ens192]; others: [nat ens160]. */
  readonly nics: readonly NicSpec[];
  /** `VMs/k8s_cluster/<name>.vmwarevm` */
  readonly vmDir: string;
  /** `<vmDir>/<name>.vmx` (the file vmrun is given, made absolute by the driver) */
  readonly vmxPath: string;
  /** `<vmDir>/<name>.vmdk` */
  readonly diskPath: string;
  /** `<vmDir>/seed.iso` */
  readonly seedIsoPath: string;
  /** `generated/<name>`: rendered VMX and cloud-init sources live here. */
  readonly generatedDir: string;
  /** Extra packages for this VM on top of the common list. */
  readonly packages: readonly string[];
}

export interface NatNetworkSpec {
  /** Fusion network name, e.g. `vmnet2`. */
  readonly vmnet: string;
  /** CIDR, e.g. `10.10.0.0/24`. */
  readonly subnet: string;
  readonly prefixLength: number;
  /** NAT gateway and DNS of the vmnet (.2). */
  readonly gateway: string;
  /** The Mac's own address on the vmnet (.1). */
  readonly hostAddress: string;
  readonly dhcpStart: string;
  readonly dhcpEnd: string;
}

export interface LanNetworkSpec {
  /** CIDR of the LAN the gateways are bridged to, e.g. `192.168.68.0/24`. */
  readonly subnet: string;
  readonly prefixLength: number;
  /** VMX connection type for the bridged NIC. */
  readonly connectionType: "bridged";
}

export interface BaseImageSpec {
  /** https://, file:// or a local path to the qcow2 cloud image. */
  readonly url: string;
  /** Pinned SHA-256, when set it wins over the checksums file. */
  readonly sha256?: string;
  /** URL of a SHA256SUMS file that lists the image. */
  readonly checksumsUrl?: string;
  /** `base_images/<file>` */
  readonly path: string;
  /** Virtual size of the image in GiB; a disk smaller than this is rejected. */
  readonly virtualSizeGb: number;
}

export interface TimeoutSpec {
  /** Deadline for one ordinary vmrun call. */
  readonly vmrunSeconds: number;
  /** How long `start` waits for the guest to report an IP before failing the apply. */
  readonly ipWaitSeconds: number;
  /** Budget of the IP lookup data source for a running VM (plan/refresh); an off VM answers at once. */
  readonly ipLookupSeconds: number;
  /** Deadline for preparing one disk (qemu-img). */
  readonly diskSeconds: number;
  /** Deadline for downloading the base image. */
  readonly downloadSeconds: number;
  /** How long guest-config waits for SSH and cloud-init before installing the role files. */
  readonly guestConfigSeconds: number;
}

export interface ClusterModel {
  readonly target: Target;
  /** Set exactly when target is vsphere. */
  readonly vsphere?: VsphereSpec;
  readonly arch: Arch;
  readonly addressing: AddressingMode;
  readonly paths: {
    readonly vmsDir: string;
    readonly baseImagesDir: string;
    readonly generatedDir: string;
    readonly inventoryFile: string;
  };
  readonly network: {
    readonly nat: NatNetworkSpec;
    readonly lan: LanNetworkSpec;
    /** Defaults of the Terraform variables of the same names. */
    readonly externalVip: string;
    readonly internalVip: string;
    readonly dnsServers: readonly string[];
    readonly dnsSearchDomains: readonly string[];
    /** /etc/hosts name of the internal VIP (the Kubernetes API endpoint). */
    readonly apiHostname: string;
    /** Defaults of the vrrp_* Terraform variables (keepalived on the gateways). */
    readonly vrrp: {
      readonly externalRouterId: number;
      readonly internalRouterId: number;
      readonly authPass: string;
    };
  };
  readonly aptCache: {
    readonly vm: VmSpec;
    readonly address: string;
    readonly port: number;
    /** Default of the `apt_proxy_url` Terraform variable. */
    readonly proxyUrl: string;
  };
  /** The cluster VMs in boot order: gateways, masters, workers. */
  readonly vms: readonly VmSpec[];
  readonly baseImage: BaseImageSpec;
  readonly ssh: {
    readonly user: string;
    /** Content of the public key (one line). */
    readonly publicKey: string;
    /**
     * The matching private key as configured (`~/` kept, so no machine path lands in the JSON);
     * undefined for the default key, which ssh finds by itself.
     */
    readonly identityFile?: string;
  };
  /** Packages every VM gets. */
  readonly commonPackages: readonly string[];
  readonly hardware: {
    readonly virtualHwVersion: number;
    readonly nicType: "vmxnet3" | "e1000e";
  };
  readonly timeouts: TimeoutSpec;
}
