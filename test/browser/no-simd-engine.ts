// Turns this page into an engine without WebAssembly SIMD, as far as the package can tell:
// WebAssembly.validate reports false for the package's SIMD binary, and compiling it throws
// a CompileError as such an engine would. Import this before anything creates a backend
// (each browser test file runs in its own iframe, so the patch stays in this file's page).
import simdBase64 from "../../src/wasm/simd.js";

const simdBytes = Uint8Array.from(atob(simdBase64), (ch) => ch.charCodeAt(0));

function isSimdBinary(source: BufferSource): boolean {
  const bytes = ArrayBuffer.isView(source)
    ? new Uint8Array(source.buffer, source.byteOffset, source.byteLength)
    : new Uint8Array(source);
  if (bytes.length !== simdBytes.length) return false;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== simdBytes[i]) return false;
  return true;
}

export const rejected = { validate: 0, compile: 0 };
const originalValidate = WebAssembly.validate;
const OriginalModule = WebAssembly.Module;

WebAssembly.validate = (bytes: BufferSource) => {
  if (isSimdBinary(bytes)) {
    rejected.validate++;
    return false;
  }
  return originalValidate(bytes);
};

function PatchedModule(bytes: BufferSource): WebAssembly.Module {
  if (isSimdBinary(bytes)) {
    rejected.compile++;
    throw new WebAssembly.CompileError("no-simd-engine: this engine does not support SIMD (simulated)");
  }
  return new OriginalModule(bytes);
}
PatchedModule.prototype = OriginalModule.prototype;
Object.assign(PatchedModule, { exports: OriginalModule.exports, imports: OriginalModule.imports, customSections: OriginalModule.customSections });
(WebAssembly as { Module: unknown }).Module = PatchedModule;
