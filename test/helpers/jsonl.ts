// Reads a fixture file of test/fixtures/: JSON Lines, a header object on the first line (the
// generator, the library versions, the case count), then one case per line. The text comes in
// through a `?raw` import, which Vite (and so vitest, in Node, in Chromium and in module
// workers alike) turns into a string.
export interface FixtureHeader {
  generator: string;
  format: string;
  caseCount: number;
  [version: string]: string | number;
}

export function parseFixtureLines<Case>(text: string, file: string): { header: FixtureHeader; cases: Case[] } {
  const records = text.split("\n").flatMap((line, i) => {
    if (line.trim() === "") return [];
    try {
      return [JSON.parse(line) as unknown];
    } catch (error) {
      throw new Error(`${file} line ${i + 1}: ${(error as Error).message}`);
    }
  });
  const [header, ...cases] = records as [FixtureHeader, ...Case[]];
  if (typeof header?.generator !== "string" || header.caseCount !== cases.length) {
    throw new Error(`${file}: the header announces ${header?.caseCount} cases, the file has ${cases.length}`);
  }
  return { header, cases };
}
