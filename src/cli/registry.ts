// Every CLI command, in the order `ngame --help` lists them. Add new commands here.
import type { Command } from './command';

export const commands: Command[] = [];
