// All negative samplers behind one interface (see types.ts), created by name.
import type { Curriculum } from '../batching';
import { NgameSampler, RandomInBatchSampler } from './inbatch';
import { AnceSampler, MipsUniformSampler, PureMipsSampler, type MinedOptions } from './mined';
import { MetaSampler } from './meta';
import type { Sampler, SamplerName } from './types';

export * from './types';
export { NgameSampler, RandomInBatchSampler, inBatchPlan } from './inbatch';
export { AnceSampler, MipsUniformSampler, PureMipsSampler, type MinedOptions } from './mined';
export { ownMask } from './pool';
export { MetaSampler, DEFAULT_META, groupLabels, groupTargets, metaLoss, topGroups, type MetaOptions, type LabelGroups } from './meta';

export const SAMPLER_NAMES: SamplerName[] = ['random', 'ngame', 'ance', 'mips-uniform', 'mips', 'meta'];

/** How the samplers that mine labels (ance, mips-uniform, mips) search the label table. */
export type MiningSearch = Pick<MinedOptions, 'index' | 'nlist' | 'nprobe' | 'search'>;

export function makeSampler(name: string, curriculum?: Curriculum, search?: MiningSearch): Sampler {
  switch (name) {
    case 'random': return new RandomInBatchSampler();
    case 'ngame': return new NgameSampler(curriculum);
    case 'ance': return new AnceSampler(search);
    case 'mips-uniform': return new MipsUniformSampler(search);
    case 'mips': return new PureMipsSampler(search);
    case 'meta': return new MetaSampler();
    default: throw new Error(`unknown sampler '${name}' (choose one of ${SAMPLER_NAMES.join(', ')})`);
  }
}
