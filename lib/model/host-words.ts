/**
 * The host's words, decided in one place: what the VMware product is called, how a message names the
 * machine the lab runs on, and how to install a tool there. A Mac runs Fusion and installs with
 * Homebrew; any other host (Linux) runs Workstation and installs with apt. Pure: the caller passes
 * the platform (`process.platform`, or the doctor's injected one).
 */

/** Tools a message may tell the user to install. */
export type HostTool = "qemu-img" | "terraform" | "xorriso";

export interface HostWords {
  /** `VMware Fusion` | `VMware Workstation`. */
  readonly product: string;
  /** The first release the default hardware version (21) needs, e.g. `VMware Fusion 13.5`. */
  readonly release: string;
  /** The machine in a sentence: `the Mac` | `the host`. */
  readonly host: string;
  /** The machine seen from itself: `this Mac` | `this host`. */
  readonly thisHost: string;
  /** Its operating system: `macOS` | `Linux`. */
  readonly os: string;
  /** The command (or the page) that installs each tool. */
  readonly install: Readonly<Record<HostTool, string>>;
}

const MAC: HostWords = {
  product: "VMware Fusion",
  release: "VMware Fusion 13.5",
  host: "the Mac",
  thisHost: "this Mac",
  os: "macOS",
  install: {
    "qemu-img": "brew install qemu",
    // Homebrew's own terraform formula stopped at 1.5.7 when the licence changed.
    terraform:
      "brew install hashicorp/tap/terraform (not plain brew install terraform, which is frozen at 1.5.7)",
    xorriso: "brew install xorriso (macOS normally has hdiutil in /usr/bin: check PATH)",
  },
};

const LINUX: HostWords = {
  product: "VMware Workstation",
  release: "VMware Workstation 17.5",
  host: "the host",
  thisHost: "this host",
  os: "Linux",
  install: {
    "qemu-img": "sudo apt-get install qemu-utils",
    terraform:
      "install terraform from HashiCorp's apt repository (https://developer.hashicorp.com/terraform/install)",
    xorriso: "sudo apt-get install xorriso",
  },
};

export function hostWords(platform: string): HostWords {
  return platform === "darwin" ? MAC : LINUX;
}
