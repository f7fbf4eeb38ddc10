/**
 * The README is the user's manual: it must document every error code of src/errors.ts with its
 * eXtremeDB name, and show the two set-up commands. Checked as text.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ERROR_CODES } from '../src/errors.js'

const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8')

describe('README', () => {
  it('shows the two set-up commands', () => {
    expect(readme).toContain('npm ci && npm start')
    expect(readme).toContain('npm ci && npm test')
  })

  it('documents every error code in a table row with its eXtremeDB name', () => {
    const missing = Object.entries(ERROR_CODES).filter(([code, entry]) => {
      const row = readme.split('\n').find((line) => line.startsWith(`| \`${code}\``))
      return row === undefined || (entry.extremedb !== null && !row.includes(entry.extremedb))
    })
    expect(missing.map(([code]) => code)).toEqual([])
  })
})
