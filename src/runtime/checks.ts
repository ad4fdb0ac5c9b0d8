// How every refused call reads: "<where>: <what was wrong and what was expected>". `where`
// is the call ("BatchNorm2d.forward", "layerNorm"), with the argument's role in
// parentheses where the call alone would not say which one ("BatchNorm2d.backward (x of
// the forward)").

export function describe(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "undefined";
  if (Array.isArray(value)) return `[${value.map((v) => (typeof v === "number" ? String(v) : typeof v)).join(", ")}]`;
  if (ArrayBuffer.isView(value)) return `${value.constructor.name}(${(value as unknown as { length: number }).length})`;
  if (typeof value === "object") return (value as object).constructor?.name ?? "object";
  if (typeof value === "string") return JSON.stringify(value);
  return String(value);
}

export function fail(where: string, message: string): never {
  throw new Error(`${where}: ${message}`);
}

/** `where` with the role of the argument in it, for messages about one argument of a call. */
export function at(where: string, role?: string): string {
  return role ? `${where} (${role})` : where;
}

// The value checks every entry point shares. Each throws before anything is changed.

/** A shape: an array of positive integers; returns its element count. */
export function checkShape(where: string, shape: unknown, name = "shape"): number {
  if (!Array.isArray(shape)) fail(where, `${name} must be an array of positive integers, got ${describe(shape)}`);
  let size = 1;
  for (let i = 0; i < shape.length; i++) {
    const v = shape[i];
    if (typeof v !== "number" || !Number.isInteger(v) || v < 1) {
      fail(where, `${name}[${i}] must be a positive integer, got ${describe(v)} in ${describe(shape)}`);
    }
    size *= v;
  }
  if (size > 2 ** 32) fail(where, `${name} ${describe(shape)} has ${size} elements, more than wasm32 memory can hold`);
  return size;
}

export function checkEps(where: string, eps: unknown, name = "eps"): number {
  if (typeof eps !== "number" || !Number.isFinite(eps) || eps < 0) {
    fail(where, `${name} must be a finite number >= 0, got ${describe(eps)}`);
  }
  return eps;
}

/** float32's machine epsilon (torch.finfo(torch.float32).eps): RMS norm's eps when none is given. */
export const FLOAT32_EPS = 2 ** -23;

/** RMS norm's eps: null or absent means FLOAT32_EPS, as torch.nn.RMSNorm's eps=None. */
export function checkRmsEps(where: string, eps: unknown): number {
  return eps === null || eps === undefined ? FLOAT32_EPS : checkEps(where, eps);
}

export function checkMomentum(where: string, momentum: unknown, allowNull: boolean): number | null {
  if (momentum === null && allowNull) return null;
  if (typeof momentum !== "number" || !(momentum >= 0 && momentum <= 1)) {
    fail(where, `momentum must be a number in [0, 1]${allowNull ? " or null" : ""}, got ${describe(momentum)}`);
  }
  return momentum;
}

export function checkBoolean(where: string, name: string, value: unknown): boolean {
  if (typeof value !== "boolean") fail(where, `${name} must be true or false, got ${describe(value)}`);
  return value;
}

export function checkPositiveInteger(where: string, name: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    fail(where, `${name} must be a positive integer, got ${describe(value)}`);
  }
  return value;
}

/** Rejects keys of an options object that are not in `known` (typos would pass silently). */
export function checkOptionKeys(where: string, options: unknown, known: readonly string[]): void {
  if (options === undefined) return;
  if (typeof options !== "object" || options === null) fail(where, `options must be an object, got ${describe(options)}`);
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) fail(where, `unknown option ${JSON.stringify(key)} (expected one of ${known.join(", ")})`);
  }
}

const absent = (v: unknown) => v === undefined || v === null;

/**
 * A parameter-sized array (a Float32Array / Float64Array / number[] of length n); meaning
 * says what one value stands for ("one value per channel").
 */
export function checkArray(where: string, name: string, value: unknown, n: number, meaning = "one value per channel"): ArrayLike<number> {
  const ok = value instanceof Float32Array || value instanceof Float64Array ||
    (Array.isArray(value) && value.every((v) => typeof v === "number"));
  if (!ok) fail(where, `${name} must be a Float32Array of length ${n}, got ${describe(value)}`);
  const arr = value as ArrayLike<number>;
  if (arr.length !== n) fail(where, `${name} must have length ${n} (${meaning}), got length ${arr.length}`);
  return arr;
}

/** checkArray of a value that may be absent (null). */
export function optionalArray(where: string, name: string, value: unknown, n: number, meaning?: string): ArrayLike<number> | null {
  return absent(value) ? null : checkArray(where, name, value, n, meaning);
}

/** checkArray of a value that must be given. */
export function requiredArray(where: string, name: string, value: unknown, n: number): ArrayLike<number> {
  if (absent(value)) fail(where, `${name} is required (one value per channel, ${n} values)`);
  return checkArray(where, name, value, n);
}

export interface RunningPair {
  readonly mean: Float32Array;
  readonly var: Float32Array;
}

/**
 * runningMean / runningVar: both Float32Arrays of C values (updated in place by the
 * caller's op), or both absent (null); `requiredWhen` says when they must be given.
 */
export function runningPair(where: string, mean: unknown, variance: unknown, C: number, requiredWhen: string | null): RunningPair | null {
  if (absent(mean) && absent(variance)) {
    if (requiredWhen !== null) fail(where, `runningMean and runningVar are required when ${requiredWhen}`);
    return null;
  }
  for (const [name, v] of [["runningMean", mean], ["runningVar", variance]] as const) {
    if (!(v instanceof Float32Array)) fail(where, `${name} must be a Float32Array of length ${C}, got ${describe(v)}`);
    checkArray(where, name, v, C);
  }
  return { mean: mean as Float32Array, var: variance as Float32Array };
}

export interface SavedStats {
  readonly mean: ArrayLike<number>;
  readonly invstd: ArrayLike<number>;
}

/** One saved statistic of a forward: a Float64Array (or Float32Array) of `rows` values; `hint` ends the type message. */
function savedArray(where: string, name: string, value: unknown, rows: number, what: string, hint: string): ArrayLike<number> {
  if (!(value instanceof Float64Array || value instanceof Float32Array)) {
    fail(where, `${name} must be a Float64Array of length ${rows} (from the forward), got ${describe(value)}${hint}`);
  }
  if (value.length !== rows) fail(where, `${name} must have length ${rows} (${what}), got length ${value.length}`);
  return value;
}

/** saveMean / saveInvstd of a backward call: both given (checked), or neither (null: recomputed). */
export function savedStats(where: string, saveMean: unknown, saveInvstd: unknown, rows: number, what: string): SavedStats | null {
  if (absent(saveMean) && absent(saveInvstd)) return null;
  const hint = "; pass both or neither";
  return { mean: savedArray(where, "saveMean", saveMean, rows, what, hint), invstd: savedArray(where, "saveInvstd", saveInvstd, rows, what, hint) };
}

/** saveInvRms of an RMS-norm backward: given (checked), or absent (null: recomputed). */
export function savedInvRms(where: string, saveInvRms: unknown, rows: number, what: string): { readonly invstd: ArrayLike<number> } | null {
  return absent(saveInvRms) ? null : { invstd: savedArray(where, "saveInvRms", saveInvRms, rows, what, "") };
}
