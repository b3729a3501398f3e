// Benchmark entry: `npm run bench -- NAME [--json]` runs bench/NAME.ts and prints its table.
// Each bench module exports `default async function (args: string[]): Promise<void>`.
import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'main.ts' && !f.startsWith('_'))
  .map((f) => f.slice(0, -3));
const [name, ...rest] = process.argv.slice(2);
if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench -- NAME [--json]\navailable: ${available.join(', ')}`);
  process.exit(2);
}
const mod = await import(`./${name}.ts`);
await mod.default(rest);
