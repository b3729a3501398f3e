// Texts given to predict and embed: one per line, from a file or standard input. One rule for
// both, and the dataset reader's rule for bytes: strict UTF-8 (invalid bytes are an error naming
// the line, never replaced), a byte-order mark and CRLF line ends accepted. Every line is a
// text, blank ones too, so that output row i always belongs to input line i (a blank line is the
// empty text: the encoder's empty-bag answer, docs/encoders.md); a final '\n' ends the last line.
import { readFileSync } from 'node:fs';
import { UsageError } from './command';
import { decodeUtf8 } from '../ngame/data';
import { stripBom } from '../util/json';

/** The lines of `file` (standard input when undefined), blank ones included; at least one with text, else a UsageError. */
export function readInputTexts(file: string | undefined, flag: string): string[] {
  const name = file ?? 'standard input';
  let bytes: Buffer;
  try {
    bytes = readFileSync(file ?? 0);
  } catch (e) {
    throw new UsageError(`${flag}: cannot read ${name}: ${(e as Error).message}`);
  }
  const texts = stripBom(decodeUtf8(bytes, name)).split(/\r?\n/);
  if (texts.at(-1) === '') texts.pop(); // after the last line's '\n'
  if (!texts.some((l) => l.trim().length > 0)) throw new UsageError(`${flag}: no input texts in ${name} (it is empty or holds only blank lines)`);
  return texts;
}
