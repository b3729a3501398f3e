// Texts given to predict and embed: one per line, from a file or standard input, UTF-8 (a
// byte-order mark and CRLF line ends are accepted), blank lines skipped.
import { readFileSync } from 'node:fs';
import { UsageError } from './command';
import { stripBom } from '../util/json';

/** The non-blank lines of `file` (standard input when undefined); at least one, else a UsageError. */
export function readInputTexts(file: string | undefined, flag: string): string[] {
  let text: string;
  try {
    text = readFileSync(file ?? 0, 'utf8');
  } catch (e) {
    throw new UsageError(`${flag}: cannot read ${file ?? 'standard input'}: ${(e as Error).message}`);
  }
  const texts = stripBom(text).split(/\r?\n/).filter((l) => l.trim().length > 0);
  if (texts.length === 0) throw new UsageError(`${flag}: no input texts in ${file ?? 'standard input'} (it is empty or holds only blank lines)`);
  return texts;
}
