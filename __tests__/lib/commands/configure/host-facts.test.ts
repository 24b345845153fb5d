import {
  findDefaultLan,
  parseLinuxAddr,
  parseLinuxRoute,
  parseMacIfconfig,
  parseMacRoute,
  subnetOf,
} from "../../../../lib/commands/configure/host-facts";
import { arpShowsMac, makeArpPingProbe, pingArgs } from "../../../../lib/commands/configure/address-probe";
import type { RunResult } from "../../../../lib/runtime/process/run-with-deadline";

const MAC_ROUTE = `   route to: default
destination: default
       mask: default
    gateway: 192.168.1.1
  interface: en0
      flags: <UP,GATEWAY,DONE,STATIC,PRCLONING,GLOBAL>
`;
const MAC_IFCONFIG = `en0: flags=8863<UP,BROADCAST,SMART,RUNNING,SIMPLEX,MULTICAST> mtu 1500
\tether 3c:22:fb:00:00:01
\tinet6 fe80::1%en0 prefixlen 64 secured scopeid 0xb
\tinet 192.168.1.23 netmask 0xffffff00 broadcast 192.168.1.255
\tstatus: active
`;
const LINUX_ROUTE =
  '[{"dst":"default","gateway":"10.0.0.1","dev":"wlp2s0","protocol":"dhcp","metric":600,"flags":[]}]';
const LINUX_ADDR =
  '[{"ifindex":3,"ifname":"wlp2s0","addr_info":[{"family":"inet","local":"10.0.0.17","prefixlen":24,"broadcast":"10.0.0.255"}]}]';

const result = (stdout: string, code = 0): RunResult => ({
  code,
  signal: null,
  stdout,
  stderr: "",
  timedOut: false,
  durationMs: 1,
});

describe("host facts", () => {
  it("reads macOS's route and ifconfig output", () => {
    expect(parseMacRoute(MAC_ROUTE)).toEqual({ name: "en0", router: "192.168.1.1" });
    expect(parseMacIfconfig(MAC_IFCONFIG)).toEqual({ address: "192.168.1.23", prefixLength: 24 });
    expect(parseMacIfconfig("\tinet 10.1.2.3 netmask 0xfffff000 broadcast 10.1.15.255")).toEqual({
      address: "10.1.2.3",
      prefixLength: 20,
    });
    expect(parseMacRoute("route: writing to routing socket: not in table\n")).toBeUndefined();
  });

  it("reads Linux's ip -j output", () => {
    expect(parseLinuxRoute(LINUX_ROUTE)).toEqual({ name: "wlp2s0", router: "10.0.0.1" });
    expect(parseLinuxAddr(LINUX_ADDR)).toEqual({ address: "10.0.0.17", prefixLength: 24 });
    expect(parseLinuxRoute("[]")).toBeUndefined();
  });

  it("asks route then ifconfig (macOS) or ip route then ip addr (Linux) for the default LAN", async () => {
    const calls: string[] = [];
    const answers: Record<string, string> = {
      "/sbin/route -n get default": MAC_ROUTE,
      "/sbin/ifconfig en0": MAC_IFCONFIG,
      "ip -j -4 route show default": LINUX_ROUTE,
      "ip -j -4 addr show dev wlp2s0": LINUX_ADDR,
    };
    const run = async (file: string, args: readonly string[]) => {
      const key = [file, ...args].join(" ");
      calls.push(key);
      return result(answers[key] ?? "", key in answers ? 0 : 1);
    };
    expect(await findDefaultLan("darwin", run)).toEqual({
      name: "en0",
      router: "192.168.1.1",
      address: "192.168.1.23",
      prefixLength: 24,
    });
    expect(await findDefaultLan("linux", run)).toEqual({
      name: "wlp2s0",
      router: "10.0.0.1",
      address: "10.0.0.17",
      prefixLength: 24,
    });
    expect(calls).toEqual(Object.keys(answers));
    const missing = async () => {
      throw new Error("cannot run ip: no such program");
    };
    expect(await findDefaultLan("linux", missing)).toBeUndefined();
    expect(subnetOf("192.168.1.23", 24)).toBe("192.168.1.0/24");
    expect(subnetOf("10.1.2.3", 20)).toBe("10.1.0.0/20");
  });
});

describe("the ARP/ping probe (driven by a fake runner: nothing is sent)", () => {
  it("is taken when the ping answers, or when ARP learned a MAC; free otherwise", async () => {
    const calls: string[] = [];
    const probe = (ping: number, arp: string) =>
      makeArpPingProbe("darwin", async (file, args) => {
        calls.push([file, ...args].join(" "));
        return file.endsWith("ping") ? result("", ping) : result(arp);
      });
    expect(await probe(0, "")("192.168.1.250")).toBe("taken");
    expect(
      await probe(2, "? (192.168.1.249) at 3c:22:fb:0:0:2 on en0 ifscope [ethernet]")("192.168.1.249"),
    ).toBe("taken");
    expect(
      await probe(2, "? (192.168.1.248) at (incomplete) on en0 ifscope [ethernet]")("192.168.1.248"),
    ).toBe("free");
    expect(calls).toEqual([
      "/sbin/ping -n -c 1 -t 1 192.168.1.250",
      "/sbin/ping -n -c 1 -t 1 192.168.1.249",
      "/usr/sbin/arp -n 192.168.1.249",
      "/sbin/ping -n -c 1 -t 1 192.168.1.248",
      "/usr/sbin/arp -n 192.168.1.248",
    ]);
    expect(pingArgs("linux", "10.0.0.250")).toEqual(["-n", "-c", "1", "-W", "1", "10.0.0.250"]);
    expect(arpShowsMac("10.0.0.250 dev wlp2s0 lladdr 3c:22:fb:00:00:02 REACHABLE")).toBe(true);
    expect(arpShowsMac("10.0.0.250 dev wlp2s0 FAILED")).toBe(false);
  });
});
