// Every command that README.md and docs/*.md tell a reader to run must exist: each `ngame X`
// is a registered command whose --help exits 0, each `npm run S` a package.json script, each
// `npm run bench -- NAME` a file in bench/. (The long-running ones are run for real by the
// demo and the benchmarks; this test keeps the docs from naming commands that are gone.)
// Every relative link must reach a committed file, and each report under docs/results must be
// what `ngame report` makes from the run logs committed beside it (a fresh clone has only those).
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { commands } from '../../src/cli/registry';
import { writeReport } from '../../src/ngame/report/report';

const root = join(__dirname, '../..');
const files = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
// Only code is checked: fenced blocks and inline `code` spans (prose may say "ngame and random").
function codeOf(md: string): string {
  const fenced = [...md.matchAll(/```[a-z]*\n([\s\S]*?)```/g)].map((m) => m[1]);
  const inline = [...md.replace(/```[\s\S]*?```/g, '').matchAll(/`([^`\n]+)`/g)].map((m) => m[1]);
  return [...fenced, ...inline].join('\n');
}
const text = files.map((f) => ({ f, body: codeOf(readFileSync(join(root, f), 'utf8')) }));
const scripts = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts as Record<string, string>;

function found(re: RegExp): { f: string; m: string }[] {
  return text.flatMap(({ f, body }) => [...body.matchAll(re)].map((m) => ({ f, m: m[1] })));
}

describe('commands in README.md and docs/', () => {
  it('every `npm run S` is a package.json script, and every bench name a bench file', () => {
    const runs = found(/npm run ([a-z][\w:-]*)/g);
    expect(runs.length).toBeGreaterThan(0);
    for (const { f, m } of runs) expect(scripts[m], `${f}: npm run ${m}`).toBeDefined();
    for (const { f, m } of found(/npm run bench -- ([a-z][\w-]*)/g)) expect(existsSync(join(root, 'bench', `${m}.ts`)), `${f}: bench ${m}`).toBe(true);
  });

  it('every `ngame X` is a command, and its --help runs', () => {
    const known = new Set(commands.map((c) => c.path[0]));
    const used = new Set<string>();
    for (const { f, m } of found(/(?:^|[\s`(])ngame ([a-z]+)/gm)) {
      expect(known.has(m), `${f}: ngame ${m}`).toBe(true);
      used.add(m);
    }
    expect(used.size).toBeGreaterThan(3);
    const r = spawnSync(process.execPath, [join(root, 'bin/ngame.mjs'), '--help'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    for (const c of commands) {
      const h = spawnSync(process.execPath, [join(root, 'bin/ngame.mjs'), ...c.path, '--help'], { encoding: 'utf8' });
      expect(h.status, `ngame ${c.path.join(' ')} --help`).toBe(0);
      expect(h.stdout).toMatch(/usage: ngame/);
    }
  });

  it('every relative link in README.md and docs/ points to a file of the repository', () => {
    let links = 0;
    for (const f of files) {
      const md = readFileSync(join(root, f), 'utf8');
      for (const m of md.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = m[1].split('#')[0];
        if (!target || /^[a-z]+:/.test(target)) continue; // in-page anchors, http(s)
        links++;
        expect(existsSync(join(root, dirname(f), target)), `${f}: link ${m[1]}`).toBe(true);
      }
    }
    expect(links).toBeGreaterThan(5);
  });

  it('each report under docs/results is what ngame report makes from the run logs beside it', () => {
    // docs/results.md cites these reports and their runs/ logs: both must be committed, and agree.
    const reports = ['docs/results', 'docs/results/debian', 'docs/results/foldoc-8', 'docs/results/foldoc-seeds', 'docs/results/bag-foldoc', 'docs/results/bag-foldoc-seeds', 'docs/results/bag-debian-seeds', 'docs/results/bag-debian'];
    const out = mkdtempSync(join(tmpdir(), 'ngame-report-'));
    try {
      for (const r of reports) {
        const runs = readdirSync(join(root, r, 'runs')).sort().map((d) => join(root, r, 'runs', d));
        expect(runs.length, r).toBeGreaterThan(1);
        const text = writeReport(runs, join(out, r));
        expect(text, `${r}/report.md`).toBe(readFileSync(join(root, r, 'report.md'), 'utf8'));
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
