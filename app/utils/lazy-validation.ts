import { useEffect, useState } from 'react'
import type * as FormValidators from './form-validators.ts'

type Validators = typeof FormValidators
let loading: Promise<Validators> | undefined

/**
 * The public forms validate in the browser with the server's own Zod schemas, but Zod is
 * not needed to paint the page: the validators are fetched once the page has hydrated.
 * Until they arrive (or if they cannot be fetched) Conform has no `onValidate` and the form
 * posts as it does without JavaScript; the action validates it with the same schema.
 */
export function useLazyValidators() {
  const [validators, setValidators] = useState<Validators | null>(null)
  useEffect(() => {
    let mounted = true
    loading ??= import('./form-validators.ts')
    loading.then((m) => mounted && setValidators(m)).catch(() => (loading = undefined))
    return () => {
      mounted = false
    }
  }, [])
  return validators
}
