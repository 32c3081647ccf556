// Reproduction for @conform-to/dom: parsing a form is quadratic in the number of fields that
// share one name. Run from the repository root after `npm ci`:
//   node docs/upstream/conform-repeated-fields.mjs
import { parseWithZod } from '@conform-to/zod'
import { z } from 'zod'

const schema = z.object({ email: z.string().email() })

for (const n of [5_000, 10_000, 20_000, 40_000]) {
  const form = new FormData()
  for (let i = 0; i < n; i++) form.append('a', '')
  const started = performance.now()
  parseWithZod(form, { schema })
  const ms = performance.now() - started
  console.log(`${String(n).padStart(6)} fields named "a": ${ms.toFixed(0).padStart(6)} ms`)
}
