// All negative samplers behind one interface (see types.ts), created by name.
import type { Curriculum } from '../batching';
import { NgameSampler, RandomInBatchSampler } from './inbatch';
import { AnceSampler, MipsUniformSampler, PureMipsSampler } from './mined';
import { MetaSampler } from './meta';
import type { Sampler, SamplerName } from './types';

export * from './types';
export { NgameSampler, RandomInBatchSampler, inBatchPlan } from './inbatch';
export { AnceSampler, MipsUniformSampler, PureMipsSampler } from './mined';
export { MetaSampler, DEFAULT_META, groupLabels, groupTargets, metaLoss, topGroups, type MetaOptions, type LabelGroups } from './meta';

export const SAMPLER_NAMES: SamplerName[] = ['random', 'ngame', 'ance', 'mips-uniform', 'mips', 'meta'];

export function makeSampler(name: string, curriculum?: Curriculum): Sampler {
  switch (name) {
    case 'random': return new RandomInBatchSampler();
    case 'ngame': return new NgameSampler(curriculum);
    case 'ance': return new AnceSampler();
    case 'mips-uniform': return new MipsUniformSampler();
    case 'mips': return new PureMipsSampler();
    case 'meta': return new MetaSampler();
    default: throw new Error(`unknown sampler '${name}' (choose one of ${SAMPLER_NAMES.join(', ')})`);
  }
}
