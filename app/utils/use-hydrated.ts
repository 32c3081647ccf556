import { useSyncExternalStore } from 'react'

const subscribe = () => () => {}

/** False while the server renders and while React hydrates that markup; true once the app runs. */
export function useHydrated() {
  return useSyncExternalStore(
    subscribe,
    () => true,
    () => false,
  )
}
