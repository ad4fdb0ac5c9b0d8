// `import text from "./file.jsonl?raw"`: Vite's raw import, the file's contents as a string.
declare module "*.jsonl?raw" {
  const text: string;
  export default text;
}
