// The host side of a kernel instance's linear memory: a first-fit allocator with
// coalescing over the bytes above the kernels' heap base, growing the memory on demand.
// Growth detaches every ArrayBuffer view of the old memory, so views are never cached
// across allocations without checking `generation` (see Region).

/** wasm32 addresses at most 65536 pages of 64 KiB. */
export const WASM32_MAX_BYTES = 65536 * 65536;
const PAGE = 65536;
const ALIGN = 64;

export interface MemoryStats {
  /** Bytes currently allocated to live blocks (rounded to the 64-byte alignment). */
  liveBytes: number;
  /** Largest liveBytes seen. */
  highWaterBytes: number;
  /** Size of the linear memory now. */
  memoryBytes: number;
  /** The configured ceiling of the linear memory. */
  maxBytes: number;
  /** How many blocks are live. */
  liveBlocks: number;
}

/**
 * The part of a WebAssembly.Memory the allocator uses. Typed structurally so the shipped
 * declarations need neither the DOM lib nor @types/node (whose Node 20 types lack the
 * WebAssembly namespace): a consumer's tsc with skipLibCheck off must accept them.
 */
export interface GrowableMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

export class LinearMemory {
  /** Bumped at every growth: a view made under an older generation is detached. */
  generation = 0;
  private readonly sizes = new Map<number, number>();
  /** Free blocks below `top`, sorted by address: [start, size] pairs. */
  private readonly free: number[] = [];
  private top: number;
  private live = 0;
  private highWater = 0;

  constructor(readonly memory: GrowableMemory, base: number, readonly maxBytes: number) {
    this.top = base;
  }

  get buffer(): ArrayBuffer {
    return this.memory.buffer;
  }

  /** Returns the address of a block of at least `bytes` bytes, 64-byte aligned. */
  alloc(bytes: number): number {
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    let ptr = this.takeFree(size);
    if (ptr < 0) {
      this.ensure(this.top + size, bytes);
      ptr = this.top;
      this.top += size;
    }
    this.sizes.set(ptr, size);
    this.live += size;
    if (this.live > this.highWater) this.highWater = this.live;
    return ptr;
  }

  /** Returns a block to the free list; freeing twice or a foreign address throws. */
  release(ptr: number): void {
    const size = this.sizes.get(ptr);
    if (size === undefined) throw new Error(`batchnorm-wasm: release of an address that is not allocated (${ptr})`);
    this.sizes.delete(ptr);
    this.live -= size;
    this.insertFree(ptr, size);
  }

  stats(): MemoryStats {
    return {
      liveBytes: this.live,
      highWaterBytes: this.highWater,
      memoryBytes: this.memory.buffer.byteLength,
      maxBytes: this.maxBytes,
      liveBlocks: this.sizes.size,
    };
  }

  private takeFree(size: number): number {
    const free = this.free;
    for (let i = 0; i < free.length; i += 2) {
      const blockSize = free[i + 1];
      if (blockSize < size) continue;
      const start = free[i];
      if (blockSize === size) free.splice(i, 2);
      else {
        free[i] = start + size;
        free[i + 1] = blockSize - size;
      }
      return start;
    }
    return -1;
  }

  private insertFree(start: number, size: number): void {
    const free = this.free;
    let i = 0;
    while (i < free.length && free[i] < start) i += 2;
    free.splice(i, 0, start, size);
    // Coalesce with the next block, then with the previous one.
    if (i + 2 < free.length && free[i] + free[i + 1] === free[i + 2]) {
      free[i + 1] += free[i + 3];
      free.splice(i + 2, 2);
    }
    if (i >= 2 && free[i - 2] + free[i - 1] === free[i]) {
      free[i - 1] += free[i + 1];
      free.splice(i, 2);
      i -= 2;
    }
    // A free block that ends at the top gives its bytes back to the bump region.
    if (i === free.length - 2 && free[i] + free[i + 1] === this.top) {
      this.top = free[i];
      free.splice(i, 2);
    }
  }

  private ensure(end: number, requested: number): void {
    const have = this.memory.buffer.byteLength;
    if (end <= have) return;
    if (end > this.maxBytes) {
      throw new RangeError(
        `batchnorm-wasm: cannot allocate ${requested} bytes: linear memory would need ${end} bytes, ` +
          `over the maximum of ${this.maxBytes} bytes` +
          (this.maxBytes === WASM32_MAX_BYTES ? " (the wasm32 limit)" : " (the configured maxMemoryBytes)"),
      );
    }
    // Grow by at least an eighth of the current size so a run of allocations grows rarely.
    const need = Math.ceil((end - have) / PAGE);
    const extra = Math.ceil(have / PAGE / 8);
    const maxPages = Math.floor(this.maxBytes / PAGE) - have / PAGE;
    const pages = Math.min(Math.max(need, extra), maxPages);
    try {
      try {
        this.memory.grow(pages);
      } catch (first) {
        if (pages === need) throw first;
        this.memory.grow(need);
      }
    } catch (cause) {
      throw new RangeError(
        `batchnorm-wasm: cannot allocate ${requested} bytes: growing linear memory to ${have + pages * PAGE} bytes failed`,
        { cause },
      );
    }
    this.generation++;
  }
}
