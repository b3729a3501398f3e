// `ngame` command-line entry: finds the command named by the first words of argv and runs it.
import type { Command } from './command';
import { UsageError } from './command';
import { commands } from './registry';
import { Interrupted } from './interrupt';

function findCommand(argv: string[]): { cmd: Command; rest: string[] } | null {
  let best: { cmd: Command; rest: string[] } | null = null;
  for (const cmd of commands) {
    const n = cmd.path.length;
    if (argv.length >= n && cmd.path.every((w, i) => argv[i] === w)) {
      if (!best || n > best.cmd.path.length) best = { cmd, rest: argv.slice(n) };
    }
  }
  return best;
}

/** Commands under the words argv starts with, when those words are a command group (e.g. 'data'). */
function groupOf(argv: string[]): { words: string[]; cmds: Command[] } | null {
  for (let n = argv.length; n >= 1; n--) {
    const words = argv.slice(0, n);
    const cmds = commands.filter((c) => c.path.length > n && words.every((w, i) => c.path[i] === w));
    if (cmds.length > 0) return { words, cmds };
  }
  return null;
}

function overview(): string {
  const lines = commands.map((c) => `  ngame ${c.path.join(' ').padEnd(14)} ${c.summary}`);
  return `ngame: NGAME extreme classification in TypeScript\n\nusage: ngame COMMAND [flags]\n\n${lines.join('\n')}\n\nRun 'ngame COMMAND --help' for a command's flags and examples.`;
}

async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    console.log(overview());
    return argv.length === 0 ? 2 : 0;
  }
  const found = findCommand(argv);
  const group = found ? null : groupOf(argv);
  if (group) {
    const lines = group.cmds.map((c) => `  ngame ${c.path.join(' ').padEnd(14)} ${c.summary}`);
    const text = `usage: ngame ${group.words.join(' ')} SUBCOMMAND [flags]\n\n${lines.join('\n')}\n\nRun 'ngame ${group.cmds[0].path.join(' ')} --help' for a command's flags and examples.`;
    const rest = argv.slice(group.words.length);
    if (rest.length === 1 && (rest[0] === '--help' || rest[0] === '-h')) {
      console.log(text);
      return 0;
    }
    console.error(`ngame: '${group.words.join(' ')}' needs one of these subcommands${rest.length ? ` (got '${rest.join(' ')}')` : ''}\n\n${text}`);
    return 2;
  }
  if (!found) {
    console.error(`ngame: unknown command '${argv.join(' ')}'\n\n${overview()}`);
    return 2;
  }
  if (found.rest.includes('--help') || found.rest.includes('-h')) {
    console.log(found.cmd.help);
    return 0;
  }
  try {
    return await found.cmd.run(found.rest);
  } catch (e) {
    if (e instanceof Interrupted) {
      console.error(`ngame ${found.cmd.path.join(' ')}: ${e.message}`);
      return e.exitCode;
    }
    if (e instanceof UsageError) {
      console.error(`ngame ${found.cmd.path.join(' ')}: ${e.message}${e.showHelp ? `\n\n${found.cmd.help}` : ''}`);
      return 2;
    }
    console.error(`ngame ${found.cmd.path.join(' ')}: ${(e as Error).message}`);
    if (process.env.NGAME_DEBUG) console.error((e as Error).stack);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
