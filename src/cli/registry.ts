// Every CLI command, in the order `ngame --help` lists them. Add new commands here.
import type { Command } from './command';
import { dataStatsCommand } from './commands/data-stats';
import { baselineCommand } from './commands/baseline';
import { trainCommand } from './commands/train';

export const commands: Command[] = [trainCommand, dataStatsCommand, baselineCommand];
