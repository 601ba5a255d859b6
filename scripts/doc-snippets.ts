/**
 * Keeps the code blocks of README.md and docs/*.md equal to the type-checked files they show:
 *
 * - a block preceded by `<!-- snippet: <file>#<region> -->` is replaced by the lines between
 *   `// #region <region>` and `// #endregion` of docs/snippets/<file>;
 * - a block preceded by `<!-- file: <path> -->` is replaced by the whole file at <path> (from the
 *   repository root; the tutorial's files, examples/tutorial), whatever the block's language.
 *
 *   pnpm exec tsx scripts/doc-snippets.ts          # rewrite the blocks
 *   pnpm exec tsx scripts/doc-snippets.ts --check  # fail when a block is out of date
 */
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";

const root = new URL("../", import.meta.url).pathname;
const docs = join(root, "docs");
const check = process.argv.includes("--check");
const SNIPPET = /<!-- snippet: ([\w.-]+)#([\w-]+) -->\n```ts\n[\s\S]*?\n?```/g;
const FILE = /<!-- file: ([\w./-]+) -->\n```(\w*)\n[\s\S]*?\n?```/g;

async function region(file: string, name: string): Promise<string> {
  const source = await readFile(join(docs, "snippets", file), "utf8");
  const match = new RegExp(`// #region ${name}\\n([\\s\\S]*?)// #endregion`).exec(source);
  if (!match?.[1]) throw new Error(`no region "${name}" in docs/snippets/${file}`);
  return match[1].trimEnd();
}

async function wholeFile(path: string): Promise<string> {
  if (path.split("/").includes("..")) throw new Error(`"${path}": a path inside the repository`);
  return (await readFile(join(root, path), "utf8")).trimEnd();
}

/** `text` with every marked block replaced by what it shows. */
async function updated(text: string): Promise<string> {
  const snippets = await Promise.all(
    [...text.matchAll(SNIPPET)].map(async ([, file = "", id = ""]) => {
      const code = await region(file, id);
      return `<!-- snippet: ${file}#${id} -->\n\`\`\`ts\n${code}\n\`\`\``;
    }),
  );
  let index = 0;
  const withSnippets = text.replace(SNIPPET, () => snippets[index++] ?? "");
  const files = await Promise.all(
    [...withSnippets.matchAll(FILE)].map(async ([, path = "", language = ""]) => {
      const code = await wholeFile(path);
      return `<!-- file: ${path} -->\n\`\`\`${language}\n${code}\n\`\`\``;
    }),
  );
  index = 0;
  return withSnippets.replace(FILE, () => files[index++] ?? "");
}

const documents = [
  "README.md",
  ...(await readdir(docs)).filter((entry) => entry.endsWith(".md")).map((name) => `docs/${name}`),
];
let stale = 0;
for (const name of documents) {
  const path = join(root, name);
  const text = await readFile(path, "utf8");
  const next = await updated(text);
  if (next === text) continue;
  stale++;
  if (check) console.error(`${name}: code blocks differ from the files they show`);
  else await writeFile(path, next);
}
if (check && stale > 0) process.exit(1);
