// The three products a fully connected layer needs, all written as C = A B^T over row-major
// arrays so that every inner loop is a dot product along contiguous memory (about twice as
// fast in V8 as the axpy form, which stores on every multiply-add). Digit images are about
// 80% zeros, so the first layer's products take a sparse (CSR) operand instead.

/** Rows of a matrix as compressed sparse rows: row r's entries are at start[r] .. start[r+1]. */
export interface Csr {
  rows: number;
  start: Int32Array;
  index: Int32Array;
  value: Float32Array;
}

/** X (rows x cols, row-major) without its zeros. */
export function toCsr(X: Float32Array, rows: number, cols: number): Csr {
  let nnz = 0;
  for (let i = 0; i < rows * cols; i++) if (X[i] !== 0) nnz++;
  const start = new Int32Array(rows + 1), index = new Int32Array(nnz), value = new Float32Array(nnz);
  let at = 0;
  for (let r = 0; r < rows; r++) {
    start[r] = at;
    for (let c = 0; c < cols; c++) {
      const v = X[r * cols + c];
      if (v !== 0) {
        index[at] = c;
        value[at++] = v;
      }
    }
  }
  start[rows] = at;
  return { rows, start, index, value };
}

/** X^T without its zeros, read straight from X (rows x cols). */
export function toCsrTransposed(X: Float32Array, rows: number, cols: number): Csr {
  let nnz = 0;
  for (let i = 0; i < rows * cols; i++) if (X[i] !== 0) nnz++;
  const start = new Int32Array(cols + 1), index = new Int32Array(nnz), value = new Float32Array(nnz);
  let at = 0;
  for (let c = 0; c < cols; c++) {
    start[c] = at;
    for (let r = 0; r < rows; r++) {
      const v = X[r * cols + c];
      if (v !== 0) {
        index[at] = r;
        value[at++] = v;
      }
    }
  }
  start[cols] = at;
  return { rows: cols, start, index, value };
}

/** X^T (rows x cols -> cols x rows). */
export function transpose(X: Float32Array, rows: number, cols: number): Float32Array {
  const T = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) T[c * rows + r] = X[r * cols + c];
  return T;
}

/**
 * C (M x N) = A (M x K) B^T, with B given as N x K. Blocks of 4 rows of A by 2 rows of B
 * share their loads (eight multiply-adds per six loads instead of one per two): about 2.5x
 * faster than a plain dot product per entry in V8.
 */
export function matmulABt(A: Float32Array, B: Float32Array, M: number, N: number, K: number): Float32Array {
  const C = new Float32Array(M * N);
  const M4 = M - (M % 4), N2 = N - (N % 2);
  for (let m = 0; m < M4; m += 4) {
    const a0 = m * K, a1 = a0 + K, a2 = a1 + K, a3 = a2 + K;
    for (let n = 0; n < N2; n += 2) {
      const b0 = n * K, b1 = b0 + K;
      let s00 = 0, s01 = 0, s10 = 0, s11 = 0, s20 = 0, s21 = 0, s30 = 0, s31 = 0;
      for (let k = 0; k < K; k++) {
        const y0 = B[b0 + k], y1 = B[b1 + k];
        let x = A[a0 + k];
        s00 += x * y0;
        s01 += x * y1;
        x = A[a1 + k];
        s10 += x * y0;
        s11 += x * y1;
        x = A[a2 + k];
        s20 += x * y0;
        s21 += x * y1;
        x = A[a3 + k];
        s30 += x * y0;
        s31 += x * y1;
      }
      const c = m * N + n;
      C[c] = s00;
      C[c + 1] = s01;
      C[c + N] = s10;
      C[c + N + 1] = s11;
      C[c + 2 * N] = s20;
      C[c + 2 * N + 1] = s21;
      C[c + 3 * N] = s30;
      C[c + 3 * N + 1] = s31;
    }
    // An odd last row of B.
    for (let n = N2; n < N; n++) for (let r = 0; r < 4; r++) C[(m + r) * N + n] = dot(A, (m + r) * K, B, n * K, K);
  }
  // The last M % 4 rows of A.
  for (let m = M4; m < M; m++) for (let n = 0; n < N; n++) C[m * N + n] = dot(A, m * K, B, n * K, K);
  return C;
}

function dot(A: Float32Array, a: number, B: Float32Array, b: number, K: number): number {
  let s = 0;
  for (let k = 0; k < K; k++) s += A[a + k] * B[b + k];
  return s;
}

/**
 * C (A.rows x N) = A B^T with A sparse (K columns) and B dense N x K. Four rows of B at a
 * time, so each stored entry of A is loaded once per four products.
 */
export function matmulSparseABt(A: Csr, B: Float32Array, N: number, K: number): Float32Array {
  const { rows: M, start, index, value } = A;
  const C = new Float32Array(M * N);
  const N4 = N - (N % 4);
  for (let m = 0; m < M; m++) {
    const e0 = start[m], e1 = start[m + 1], c = m * N;
    for (let n = 0; n < N4; n += 4) {
      const b0 = n * K, b1 = b0 + K, b2 = b1 + K, b3 = b2 + K;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let e = e0; e < e1; e++) {
        const v = value[e], k = index[e];
        s0 += v * B[b0 + k];
        s1 += v * B[b1 + k];
        s2 += v * B[b2 + k];
        s3 += v * B[b3 + k];
      }
      C[c + n] = s0;
      C[c + n + 1] = s1;
      C[c + n + 2] = s2;
      C[c + n + 3] = s3;
    }
    for (let n = N4; n < N; n++) {
      let s = 0;
      for (let e = e0; e < e1; e++) s += value[e] * B[n * K + index[e]];
      C[c + n] = s;
    }
  }
  return C;
}

/** C (M x B.rows) = A B^T with A dense M x K and B sparse (K columns): (B A^T)^T. */
export function matmulABtSparse(A: Float32Array, M: number, K: number, B: Csr): Float32Array {
  return transpose(matmulSparseABt(B, A, M, K), B.rows, M);
}
