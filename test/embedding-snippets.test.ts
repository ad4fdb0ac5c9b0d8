// docs/embedding.md's snippets cannot rot: each is a file of examples/embedding/, shown on
// that page verbatim (with the package's name in its imports), and run here.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..");
const page = readFileSync(join(root, "docs", "embedding.md"), "utf8");

/** A snippet file as the page shows it: imports of the sources become imports of the package. */
function asOnPage(file: string): string {
  return readFileSync(join(root, "examples", "embedding", file), "utf8")
    .replaceAll('"../../src/tfjs/index.js"', '"batchnorm-wasm/tfjs"')
    .replaceAll('"../../src/index.js"', '"batchnorm-wasm"');
}

function run(file: string): string {
  return execFileSync(process.execPath, ["--import", "tsx", join("examples", "embedding", file)], {
    cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"],
  });
}

const number = (text: string, pattern: RegExp) => {
  const m = pattern.exec(text);
  expect(m, `${pattern} in ${text}`).not.toBeNull();
  return Number(m![1]);
};

describe("docs/embedding.md snippets", () => {
  it.each(["tfjs.ts", "tfjs-layers.ts", "sync-main.ts", "sync-worker.ts", "split.ts", "fold.ts", "relu.ts"])("%s is in docs/embedding.md verbatim", (file) => {
    const text = asOnPage(file);
    expect(text).toContain("batchnorm-wasm");
    expect(page).toContain("```ts\n" + text.trimEnd() + "\n```");
  });

  it("tfjs.ts: tf.batchNorm agrees with and without the adapter", () => {
    expect(number(run("tfjs.ts"), /max \|difference\| ([\d.e+-]+)/)).toBeLessThan(1e-4);
  }, 60_000);

  it("tfjs-layers.ts: model.fit with our layers lowers the loss", () => {
    const m = /loss ([\d.]+) -> ([\d.]+)/.exec(run("tfjs-layers.ts"));
    expect(m).not.toBeNull();
    expect(Number(m![2])).toBeLessThan(Number(m![1]) * 0.8);
  }, 60_000);

  it("split.ts: the split primitives equal BatchNorm2d on the whole batch", () => {
    const out = run("split.ts");
    expect(number(out, / y ([\d.e+-]+)/)).toBeLessThan(1e-5);
    expect(number(out, /dx ([\d.e+-]+)/)).toBeLessThan(1e-5);
    expect(number(out, /running var ([\d.e+-]+)/)).toBeLessThan(1e-6);
  }, 60_000);

  it("fold.ts: the folded linear layer equals linear + eval batch norm", () => {
    expect(number(run("fold.ts"), /max \|difference\| ([\d.e+-]+)/)).toBeLessThan(1e-5);
  }, 60_000);

  it("relu.ts: the fused ReLU clamps, and module and functional agree", () => {
    const out = run("relu.ts");
    expect(out).toContain("module and functional agree: true");
    expect(number(out, /(\d+)% of y clamped/)).toBeGreaterThan(20);
  }, 60_000);

  it("sync-main.ts + sync-worker.ts: two workers of uneven shards share statistics and gradients", () => {
    const out = run("sync-main.ts");
    const means = [...out.matchAll(/runningMean0: ([\d.e+-]+)/g)].map((m) => m[1]);
    const dweights = [...out.matchAll(/dweight0: ([\d.e+-]+)/g)].map((m) => m[1]);
    expect(means).toHaveLength(2);
    expect(means[0]).toBe(means[1]);
    expect(dweights[0]).toBe(dweights[1]);
    expect(out).toMatch(/samples: 3[\s\S]*samples: 5/);
  }, 60_000);
});
