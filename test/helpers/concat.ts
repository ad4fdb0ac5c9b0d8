// Shards of a batch joined back into one array (the data-parallel tests compare against the whole batch).

/** The arrays one after another in one Float32Array. */
export function concat(parts: ArrayLike<number>[]): Float32Array {
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
