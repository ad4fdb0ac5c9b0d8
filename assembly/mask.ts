// Whether a backward kernel masks dy by a fused ReLU (batchNormRelu), as a type parameter:
// each such kernel is compiled once per type, and the Plain instance has no trace of the
// mask. A runtime flag tested inside the loops cost the plain batch norm about 13% of its
// backward (measured on (32, 64, 56, 56) NCHW).

/** No mask: the plain batch norm. */
export type Plain = i32;
/** dy masked where the forward's ReLU output was not positive. */
export type Relu = f32;

/** True in the Relu instance of a kernel; a compile-time constant. */
// @ts-ignore: decorator
@inline export function masked<M>(): bool {
  return isFloat<M>();
}
