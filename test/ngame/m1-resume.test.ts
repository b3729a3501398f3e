// M1Trainer resume: a resumed optimizer follows the new run's schedule, so resuming a finished
// 1-epoch run with 2 epochs trains the second epoch at a non-zero learning rate.
import { describe, expect, it } from 'vitest';
import { RandomInBatchSampler } from '../../src/ngame/samplers';
import { scheduledLr } from '../../src/model/optim';
import { tinyTrainer } from '../helpers/tiny-ngame';

describe('M1 resume', () => {
  it('resuming with more epochs extends the learning-rate decay instead of training at lr 0', async () => {
    const first = tinyTrainer(new RandomInBatchSampler(), { epochs: 1 });
    await first.trainEpoch();
    const stepsPerEpoch = first.env.step;
    expect(scheduledLr(first.opt.stepCount, first.opt.config)).toBe(0); // the 1-epoch schedule has ended

    const resumed = tinyTrainer(new RandomInBatchSampler(), { epochs: 2 }, first);
    expect(resumed.opt.config.totalSteps).toBe(2 * stepsPerEpoch);
    expect(scheduledLr(resumed.opt.stepCount, resumed.opt.config)).toBeGreaterThan(0);
    const before = Float32Array.from(await resumed.ctx.encoder.params.get('embed.positions').data());
    await resumed.trainEpoch();
    const after = Float32Array.from(await resumed.ctx.encoder.params.get('embed.positions').data());
    expect(after.some((v, i) => v !== before[i])).toBe(true);
  });
});
