// Every CLI command, in the order `ngame --help` lists them. Add new commands here.
import type { Command } from './command';
import { trainCommand } from './commands/train';
import { evalCommand } from './commands/eval';
import { predictCommand } from './commands/predict';
import { embedCommand } from './commands/embed';
import { dataStatsCommand } from './commands/data-stats';
import { dataSynthCommand } from './commands/data-synth';
import { baselineCommand } from './commands/baseline';
import { reportCommand } from './commands/report';
import { compareCommand } from './commands/compare';
import { metricsCommand } from './commands/metrics';
import { doctorCommand } from './commands/doctor';

export const commands: Command[] = [trainCommand, evalCommand, metricsCommand, predictCommand, embedCommand, dataStatsCommand, dataSynthCommand, baselineCommand, reportCommand, compareCommand, doctorCommand];
