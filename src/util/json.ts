// JSON files written by hand: a UTF-8 byte-order mark (Windows editors add one) is accepted,
// as the data readers accept it.
import { readFileSync } from 'node:fs';

/** `text` without a leading U+FEFF byte-order mark. */
export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Parses a JSON file (UTF-8, optional byte-order mark); errors are JSON.parse's or the read's. */
export function readJsonFile(path: string): unknown {
  return JSON.parse(stripBom(readFileSync(path, 'utf8')));
}
