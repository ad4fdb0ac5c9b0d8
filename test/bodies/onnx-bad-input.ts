export function onnxBadInputSuite(_m: unknown): void {}
