/**
 * Keeps the code blocks of docs/*.md equal to the type-checked regions of docs/snippets/*.ts.
 * A block preceded by `<!-- snippet: <file>#<region> -->` is replaced by the lines between
 * `// #region <region>` and `// #endregion` of docs/snippets/<file>.
 *
 *   pnpm exec tsx scripts/doc-snippets.ts          # rewrite the blocks
 *   pnpm exec tsx scripts/doc-snippets.ts --check  # fail when a block is out of date
 */
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";

const docs = new URL("../docs/", import.meta.url).pathname;
const check = process.argv.includes("--check");
const MARKER = /<!-- snippet: ([\w.-]+)#([\w-]+) -->\n```ts\n[\s\S]*?\n?```/g;

async function region(file: string, name: string): Promise<string> {
  const source = await readFile(join(docs, "snippets", file), "utf8");
  const match = new RegExp(`// #region ${name}\\n([\\s\\S]*?)// #endregion`).exec(source);
  if (!match?.[1]) throw new Error(`no region "${name}" in docs/snippets/${file}`);
  return match[1].trimEnd();
}

let stale = 0;
for (const name of (await readdir(docs)).filter((entry) => entry.endsWith(".md"))) {
  const path = join(docs, name);
  const text = await readFile(path, "utf8");
  const replacements = await Promise.all(
    [...text.matchAll(MARKER)].map(async ([, file = "", id = ""]) => {
      const code = await region(file, id);
      return `<!-- snippet: ${file}#${id} -->\n\`\`\`ts\n${code}\n\`\`\``;
    }),
  );
  let index = 0;
  const updated = text.replace(MARKER, () => replacements[index++] ?? "");
  if (updated === text) continue;
  stale++;
  if (check) console.error(`docs/${name}: code blocks differ from docs/snippets`);
  else await writeFile(path, updated);
}
if (check && stale > 0) process.exit(1);
