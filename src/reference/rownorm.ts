// The pure-JS reference of the row norms (assembly/rownorm.ts) straight from the
// definitions in float64: layer norm (centered) or RMS norm over rows of L contiguous
// values, of x or of x + residual (+ addBias).

type Floats = Float32Array | Float64Array;

/** The optional residual add of a row-norm forward: sum = x + residual (+ addBias[i]) is written to `sum`. */
export interface ResidualAdd {
  readonly residual: Floats;
  readonly addBias: Floats | null;
  readonly sum: Floats;
}

/**
 * y[r, i] = (s[r, i] - mean[r]) * invstd[r] * w[i] + b[i] with s = x, or s = x + residual
 * (+ addBias) in float32 as the kernels store it; centered: layer norm (mean[r]
 * filled), else RMS norm (mean 0, invstd = 1 / sqrt(mean(s^2) + eps)).
 */
export function referenceRowNorm(
  x: Floats, add: ResidualAdd | null, y: Floats, R: number, L: number, centered: boolean, eps: number,
  weight: Floats | null, bias: Floats | null, mean: Float64Array, invstd: Float64Array,
): void {
  const s = add ? add.sum : x;
  if (add) {
    // Rounded after each add, as float32 arithmetic (the kernels, PyTorch's x + r + b) does.
    for (let i = 0; i < R * L; i++) {
      const xr = Math.fround(x[i] + add.residual[i]);
      s[i] = add.addBias ? Math.fround(xr + add.addBias[i % L]) : xr;
    }
  }
  for (let r = 0; r < R; r++) {
    const base = r * L;
    let m = 0;
    if (centered) {
      for (let i = base; i < base + L; i++) m += s[i];
      m /= L;
      mean[r] = m;
    }
    let sq = 0;
    for (let i = base; i < base + L; i++) sq += (s[i] - m) * (s[i] - m);
    const k = 1 / Math.sqrt(sq / L + eps);
    invstd[r] = k;
    for (let i = 0; i < L; i++) y[base + i] = (s[base + i] - m) * k * (weight ? weight[i] : 1) + (bias ? bias[i] : 0);
  }
}

/**
 * Row-norm gradients, x the normalized input: dx = invstd * (g - mean(g) - xhat * mean(g * xhat))
 * (+ dsum) per row with g = dy * w (RMS norm: without mean(g)); dweight = sum over rows of
 * dy * xhat, dbias of dy, daddBias of dx. Any output may be null (daddBias needs dx).
 */
export function referenceRowNormBackward(
  dy: Floats, x: Floats, dsum: Floats | null, dx: Floats | null, R: number, L: number, centered: boolean,
  weight: Floats | null, dweight: Floats | null, dbias: Floats | null, daddBias: Floats | null, mean: Floats, invstd: Floats,
): void {
  const dw = new Float64Array(L), db = new Float64Array(L), da = new Float64Array(L);
  for (let r = 0; r < R; r++) {
    const base = r * L, m = centered ? mean[r] : 0, k = invstd[r];
    let sg = 0, sgx = 0;
    for (let i = 0; i < L; i++) {
      const xhat = (x[base + i] - m) * k;
      const g = dy[base + i] * (weight ? weight[i] : 1);
      sg += g;
      sgx += g * xhat;
      dw[i] += dy[base + i] * xhat;
      db[i] += dy[base + i];
    }
    if (!dx) continue;
    const mg = centered ? sg / L : 0;
    for (let i = 0; i < L; i++) {
      const xhat = (x[base + i] - m) * k;
      const v = k * (dy[base + i] * (weight ? weight[i] : 1) - mg - (xhat * sgx) / L) + (dsum ? dsum[base + i] : 0);
      dx[base + i] = v;
      da[i] += v;
    }
  }
  if (dweight) dweight.set(dw);
  if (dbias) dbias.set(db);
  if (daddBias && dx) daddBias.set(da);
}
