import { boundedRunner } from "../../../../lib/runtime/process/bounded";

describe("boundedRunner", () => {
  it("runs at most `limit` tasks at once, in the order they asked, and passes results and errors through", async () => {
    const run = boundedRunner(2);
    let alive = 0;
    let most = 0;
    const order: number[] = [];
    const task = (i: number) => async () => {
      alive++;
      most = Math.max(most, alive);
      order.push(i);
      await new Promise((r) => setTimeout(r, 20));
      alive--;
      if (i === 3) throw new Error("task 3 failed");
      return i * 10;
    };
    const results = await Promise.allSettled([0, 1, 2, 3, 4, 5].map((i) => run(task(i))));
    expect(most).toBe(2);
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
    expect(results.map((r) => (r.status === "fulfilled" ? r.value : (r.reason as Error).message))).toEqual([
      0,
      10,
      20,
      "task 3 failed",
      40,
      50,
    ]);
  });

  it("refuses a limit below 1", () => {
    expect(() => boundedRunner(0)).toThrow(/limit must be a whole number >= 1, got 0/);
  });
});
