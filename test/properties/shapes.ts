// Shapes for the property suites. Most cases are small (sizes 1, primes, spatial sizes that
// are not multiples of 4, C = 1); some are drawn to reach each path of the kernels
// (assembly/layout.ts, rowstats.ts):
// - tiny: at most 8 values per unit, the all-f64 path;
// - small: a few hundred values, one chunk;
// - long runs: a planar run of more than 1024 floats, cut into pieces of at most 2048;
// - many runs: short planar runs grouped into chunks of 2048 floats, more than one chunk;
// - many rows: more than 128 rows of an interleaved tensor (channels last, or 2-D), more
//   than one row chunk.
import fc from "fast-check";

/** Sizes that are 1, prime, or just off a multiple of 4. */
export const smallDim = fc.oneof(
  fc.constantFrom(1, 2, 3, 5, 7, 11, 13),
  fc.integer({ min: 1, max: 9 }),
);

/** Run lengths around the 2048-float chunk: below, at, just past, and several pieces. */
export const longRun = fc.constantFrom(1024, 1031, 1999, 2047, 2048, 2049, 2053, 3001, 4099);

export type PathClass = "tiny" | "small" | "longRuns" | "manyRuns" | "manyRows";

export const pathClass: fc.Arbitrary<PathClass> = fc.oneof(
  { arbitrary: fc.constant("tiny" as const), weight: 3 },
  { arbitrary: fc.constant("small" as const), weight: 8 },
  { arbitrary: fc.constant("longRuns" as const), weight: 1 },
  { arbitrary: fc.constant("manyRuns" as const), weight: 1 },
  { arbitrary: fc.constant("manyRows" as const), weight: 2 },
);

export interface NCS {
  readonly N: number;
  readonly C: number;
  /** Spatial dims (their product is the run length S). */
  readonly spatial: readonly number[];
}

const product = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);

/** k spatial dims with the given product target class; the rest of the dims are 1 or 2. */
function spatialWith(k: number, run: fc.Arbitrary<number>): fc.Arbitrary<number[]> {
  if (k === 0) return fc.constant([]);
  return fc.tuple(run, fc.array(fc.constantFrom(1, 1, 2), { minLength: k - 1, maxLength: k - 1 }), fc.nat({ max: k - 1 }))
    .map(([r, rest, at]) => {
      const dims: number[] = rest.slice();
      dims.splice(at, 0, r);
      return dims;
    });
}

/**
 * (N, C, spatial) of a tensor with k spatial dims, for a path class. `C` is the channel
 * count (a group count may multiply it later); values per unit are N * S for batch norm.
 */
export function ncsFor(k: number, path: PathClass, maxC = 9): fc.Arbitrary<NCS> {
  const channels = fc.oneof(fc.constant(1), fc.integer({ min: 1, max: maxC }));
  switch (path) {
    case "tiny":
      return fc.record({ N: fc.integer({ min: 1, max: 8 }), C: channels, spatial: fc.array(fc.integer({ min: 1, max: 2 }), { minLength: k, maxLength: k }) })
        .filter((s) => s.N * product(s.spatial) <= 8);
    case "small":
      return fc.record({ N: smallDim, C: channels, spatial: fc.array(smallDim, { minLength: k, maxLength: k }) })
        .filter((s) => s.N * product(s.spatial) <= 400);
    case "longRuns":
      if (k === 0) return ncsFor(k, "manyRows", maxC);
      return fc.record({ N: fc.integer({ min: 1, max: 2 }), C: fc.integer({ min: 1, max: 2 }), spatial: spatialWith(k, longRun) });
    case "manyRuns":
      if (k === 0) return ncsFor(k, "manyRows", maxC);
      return fc.tuple(spatialWith(k, fc.integer({ min: 2, max: 40 })), fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 1, max: 2 }))
        .map(([spatial, extra, C]) => {
          const S = product(spatial);
          return { N: Math.ceil((2049 + extra) / S), C, spatial };
        });
    case "manyRows":
      return fc.tuple(fc.integer({ min: 129, max: 1500 }), channels, fc.array(fc.constantFrom(1, 2, 3), { minLength: k, maxLength: k }))
        .map(([rows, C, spatial]) => ({ N: Math.max(1, Math.ceil(rows / product(spatial))), C, spatial }));
  }
}

export function sizeOf(shape: readonly number[]): number {
  return product(shape);
}

/** An (N, S, C) channels-last array as (N, C, S), channels second (a copy). */
export function channelsFirst(data: Float32Array, N: number, S: number, C: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let n = 0; n < N; n++) {
    for (let s = 0; s < S; s++) {
      for (let c = 0; c < C; c++) out[(n * C + c) * S + s] = data[(n * S + s) * C + c];
    }
  }
  return out;
}
