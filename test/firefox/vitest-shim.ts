// What the bundled Firefox pages get for `import ... from "vitest"` (test/firefox/bundle.ts
// aliases it here): vitest's expect, built the way vitest builds its own from
// @vitest/expect's chai plugins, without vitest's runner (its Node-side half cannot be
// bundled for a page). describe / it only ever run under test/helpers/collector.ts there.
import {
  ASYMMETRIC_MATCHERS_OBJECT, GLOBAL_EXPECT, JestAsymmetricMatchers, JestChaiExpect, JestExtend, chai, customMatchers, setState,
} from "@vitest/expect";

chai.use(JestExtend);
chai.use(JestChaiExpect);
chai.use(JestAsymmetricMatchers);

type Expect = typeof import("vitest").expect;

const expectImpl = ((value: unknown, message?: string) => chai.expect(value, message)) as unknown as Expect;
Object.assign(expectImpl, chai.expect);
Object.assign(expectImpl, (globalThis as Record<symbol, unknown>)[ASYMMETRIC_MATCHERS_OBJECT]);
setState({ assertionCalls: 0, isExpectingAssertions: false, expectedAssertionsNumber: null }, expectImpl);
(expectImpl as unknown as { extend: (m: unknown) => void }).extend = (matchers) =>
  (chai.expect as unknown as { extend: (e: unknown, m: unknown) => void }).extend(expectImpl, matchers);
expectImpl.extend(customMatchers as never);
Object.defineProperty(globalThis, GLOBAL_EXPECT, { value: expectImpl, writable: true, configurable: true });

export const expect = expectImpl;

function outsideCollector(): never {
  throw new Error("vitest-shim: describe / it ran outside test/helpers/collector.ts's collect()");
}
export const describe = Object.assign(outsideCollector, { each: outsideCollector });
export const it = Object.assign(outsideCollector, { each: outsideCollector });
