// The README stays a front door: short, the two commands on top, links that resolve, a quick
// start that runs, and no paragraph that docs/ repeats (every longer account lives once).
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..");
const README = join(root, "README.md");
const DOCS = join(root, "docs");

const MAX_LINES = 220;
/** The two commands sit in the first lines, before anything else a newcomer has to read. */
const COMMANDS = ["npm ci && npm start", "npm ci && npm test"];
const COMMANDS_WITHIN = 15;
/** Lines at least this long may not appear in both the README and a docs/ page. */
const LONG_LINE = 60;
/** The block bench/report/readme.ts rewrites (docs/speed.md may hold the same rows). */
const BENCH_START = "<!-- bench:start -->";
const BENCH_END = "<!-- bench:end -->";

const read = (file: string) => readFileSync(file, "utf8");
const readme = read(README);
const docs = readdirSync(DOCS).filter((f) => f.endsWith(".md")).map((f) => join(DOCS, f));
const pages = [README, ...docs];

/** The lines of a Markdown file outside fenced code blocks, with their 1-based numbers. */
function proseLines(text: string): { line: string; n: number }[] {
  const out: { line: string; n: number }[] = [];
  let fenced = false;
  text.split("\n").forEach((line, i) => {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    else if (!fenced) out.push({ line, n: i + 1 });
  });
  return out;
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, -1, -2 for repeats. */
function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const { line } of proseLines(text)) {
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const base = m[1].toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, "").replace(/ /g, "-");
    const k = seen.get(base) ?? 0;
    seen.set(base, k + 1);
    out.add(k === 0 ? base : `${base}-${k}`);
  }
  return out;
}

/** Relative link and image targets of a Markdown file (outside code), with their lines. */
function relativeLinks(text: string): { target: string; n: number }[] {
  const out: { target: string; n: number }[] = [];
  for (const { line, n } of proseLines(text)) {
    const prose = line.replace(/`[^`]*`/g, "");
    for (const m of prose.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      const target = m[1];
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:, ...
      out.push({ target, n });
    }
  }
  return out;
}

/** The README's lines that may not appear in docs/: long, not code fences, not table rules, not the bench block. */
function ownLines(text: string): string[] {
  const out: string[] = [];
  let generated = false;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line.startsWith(BENCH_START)) generated = true;
    if (!generated && line.length > LONG_LINE && !/^(```|~~~)/.test(line) && !/^\|?[\s:|-]+\|?$/.test(line)) out.push(line);
    if (line.startsWith(BENCH_END)) generated = false;
  }
  return out;
}

describe("README.md: a front door", () => {
  it(`has at most ${MAX_LINES} lines`, () => {
    const lines = readme.replace(/\n$/, "").split("\n").length;
    expect(lines, `README.md has ${lines} lines`).toBeLessThanOrEqual(MAX_LINES);
  });

  it("shows both commands near the top", () => {
    const top = readme.split("\n").slice(0, COMMANDS_WITHIN).join("\n");
    for (const command of COMMANDS) expect(top, `"${command}" in the README's first ${COMMANDS_WITHIN} lines`).toContain(command);
  });

  it("keeps the bench's generated-table markers, once each and in order", () => {
    expect(readme.split(BENCH_START)).toHaveLength(2);
    expect(readme.split(BENCH_END)).toHaveLength(2);
    expect(readme.indexOf(BENCH_START)).toBeLessThan(readme.indexOf(BENCH_END));
  });

  it("repeats no line longer than 60 characters of any docs/ page", () => {
    const docLines = new Map<string, string>();
    for (const file of docs) for (const line of read(file).split("\n")) docLines.set(line.trim(), relative(root, file));
    const repeated = ownLines(readme).filter((line) => docLines.has(line)).map((line) => `${docLines.get(line)}: ${line}`);
    expect(repeated, "README lines that a docs/ page repeats word for word").toEqual([]);
  });

  it("names every export of the package somewhere in README.md or docs/", async () => {
    const text = pages.map(read).join("\n");
    const names = [
      ...Object.keys(await import("../src/index.js")), ...Object.keys(await import("../src/tfjs/index.js")), ...Object.keys(await import("../src/onnx/index.js")),
    ];
    expect(names.length).toBeGreaterThan(0);
    const missing = names.filter((name) => !new RegExp(`\\b${name}\\b`).test(text));
    expect(missing, "exports no page mentions").toEqual([]);
  });

  it("has a quick start that runs against the sources", () => {
    const section = readme.slice(readme.indexOf("## Quick start"));
    const m = /```ts\n([\s\S]*?)\n```/.exec(section);
    expect(m, "a ts block in the Quick start section").not.toBeNull();
    const source = m![1].replaceAll('"batchnorm-wasm"', JSON.stringify(pathToFileURL(join(root, "src", "index.ts")).href));
    const dir = mkdtempSync(join(tmpdir(), "batchnorm-wasm-readme-"));
    try {
      const file = join(dir, "quick-start.mts");
      writeFileSync(file, source);
      const out = execFileSync(process.execPath, ["--import", "tsx", file], { cwd: root, encoding: "utf8" });
      const numbers = out.trim().split(/\s+/).map(Number);
      expect(numbers.length, out).toBeGreaterThanOrEqual(2);
      for (const v of numbers) expect(Number.isFinite(v), out).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe("relative links in README.md and docs/*.md", () => {
  it.each(pages.map((file) => [relative(root, file), file]))("%s: every relative link points to a file that exists", (_, file) => {
    const text = read(file);
    const broken: string[] = [];
    for (const { target, n } of relativeLinks(text)) {
      const [path, anchor] = target.split("#") as [string, string | undefined];
      const dest = path === "" ? file : resolve(dirname(file), decodeURIComponent(path));
      if (!existsSync(dest)) {
        broken.push(`line ${n}: ${target} (no ${relative(root, dest)})`);
        continue;
      }
      if (anchor && dest.endsWith(".md") && !anchors(read(dest)).has(anchor.toLowerCase())) {
        broken.push(`line ${n}: ${target} (no heading #${anchor} in ${relative(root, dest)})`);
      }
    }
    expect(broken).toEqual([]);
  });
});
