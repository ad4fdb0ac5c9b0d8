// The data-parallel example (npm run example:sync): two workers with SyncBatchNorm train the
// same model as one thread on the whole minibatches.
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";

describe("examples/sync-bn (npm run example:sync)", () => {
  it("trains identical replicas on 2 workers, equal to the one-thread run", () => {
    const stdout = execFileSync(process.execPath, ["--import", "tsx", "examples/sync-bn/main.ts", "--steps", "60"], {
      encoding: "utf8", stdio: ["ignore", "pipe", "pipe"],
    });
    expect(stdout).toMatch(/step {4}50 {2}loss \d\.\d{4}/);
    const diff = /between the ranks ([\d.e+-]+), ranks vs one thread ([\d.e+-]+)/.exec(stdout);
    expect(diff, stdout).not.toBeNull();
    expect(Number(diff![1])).toBe(0);
    expect(Number(diff![2])).toBeLessThan(1e-4);
    const acc = /rank 0 ([\d.]+)%, rank 1 ([\d.]+)%, one thread ([\d.]+)%/.exec(stdout)!;
    expect(acc[1]).toBe(acc[2]);
    expect(Number(acc[1])).toBeGreaterThan(50);
    expect(stdout).toContain("OK: both ranks hold identical weights");
  }, 120_000);
});
