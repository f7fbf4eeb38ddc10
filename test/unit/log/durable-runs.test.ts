// Checks DurableRuns, the set of not-yet-durable sync-flush/delayed seqs behind whenDurable
// (DESIGN.md "Commit policies and the log"), against a plain Set on seeded random sequences of
// adds (with gaps) and drops.
import { describe, expect, it } from 'vitest'
import { DurableRuns } from '../../../src/log/durable-runs.js'
import { prng } from './model-engine.js'

describe('DurableRuns', () => {
  it('agrees with a Set under random adds and drops', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const random = prng(seed)
      const runs = new DurableRuns()
      const model = new Set<bigint>()
      let seq = 0n
      let dropped = 0n
      for (let step = 0; step < 3000; step++) {
        seq += random() < 0.7 ? 1n : 2n
        if (random() < 0.6) {
          runs.add(seq)
          model.add(seq)
        }
        if (random() < 0.05) {
          dropped += BigInt(Math.floor(random() * Number(seq - dropped)))
          runs.dropThrough(dropped)
          for (const s of model) if (s <= dropped) model.delete(s)
        }
        const probe = BigInt(Math.floor(random() * Number(seq + 2n)))
        expect(runs.has(probe), `seed ${seed} step ${step} probe ${probe}`).toBe(model.has(probe))
      }
    }
  })

  it('refuses a seq that is not after the last one', () => {
    const runs = new DurableRuns()
    runs.add(5n)
    expect(() => runs.add(5n)).toThrow(/seq order/)
  })
})
