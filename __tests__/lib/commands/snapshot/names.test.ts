import { defaultSetName, validateSetName } from "../../../../lib/commands/snapshot/names";

describe("defaultSetName", () => {
  it("is snap-YYYYMMDD-HHMM in local time, zero-padded", () => {
    expect(defaultSetName(new Date(2025, 10, 25, 9, 5))).toBe("snap-20251125-0905");
    expect(defaultSetName(new Date(2026, 0, 3, 23, 59))).toBe("snap-20260103-2359");
  });

  it("is itself a valid set name", () => {
    expect(validateSetName(defaultSetName(new Date()))).toMatch(/^snap-\d{8}-\d{4}$/);
  });
});

describe("validateSetName", () => {
  it.each(["patched-20251125", "base", "v1.2_pre-upgrade", "a", "x".repeat(64)])("accepts %s", (name) => {
    expect(validateSetName(name)).toBe(name);
  });

  it.each([
    "",
    "has space",
    "a/b",
    "../up",
    "-looks-like-an-option",
    ".hidden",
    "x".repeat(65),
    "tab\there",
    "ünïcode",
  ])("refuses %j with a message that says what is allowed", (name) => {
    expect(() => validateSetName(name)).toThrow(
      `invalid snapshot set name ${JSON.stringify(name)}: use 1-64 letters, digits, '.', '_' or '-'`,
    );
  });
});
