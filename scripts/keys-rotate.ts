/**
 * npm run keys:rotate: seal every supporter's data again under the newest key of VIGIL_DATA_KEY
 * (docs/decisions/017-encryption-at-rest.md, "Rotating keys"), in batches, while Vigil runs; then
 * say which older keys no row needs any more. Run it again any time: it takes only what is left.
 *
 * npm run keys:rotate -- --new: print a fresh key and the steps to load it (changes nothing).
 */
import crypto from 'node:crypto'
import { ConfigError, getEnv } from '../app/utils/config.server.ts'
import { DataCryptoError } from '../app/utils/data-crypto.server.ts'
import { dataKeyUsage, resealUnderNewestKey, unusedDataKeys } from '../app/models/seal-existing.server.ts'
import { closeDatabase, openConfiguredDatabase } from '../db/client.server.ts'
import { migrateDatabase } from '../db/migrate.ts'

const args = process.argv.slice(2)

if (args.includes('--new')) {
  const ids = currentKeyIds()
  const id = nextKeyId(ids)
  const key = crypto.randomBytes(32).toString('base64')
  const current = ids.length ? ids.map((k) => `${k}:<key ${k}>`).join(',') : '<your current key>'
  console.log(`A new data key (id "${id}"); keep it in your secrets store, apart from the database and its backups:

  ${id}:${key}

1. Load it everywhere before using it: add it AFTER the current key(s) and restart every process
   (app servers and workers):   VIGIL_DATA_KEY=${current},${id}:${key}
2. Make it the newest: put it FIRST and restart every process again:
                                VIGIL_DATA_KEY=${id}:${key},${current}
3. Seal the existing data again under it (while Vigil runs):   npm run keys:rotate
4. When keys:rotate says an older key is no longer used, remove it from VIGIL_DATA_KEY and restart.
   Keep it in the secrets store while backups made before still exist: they need it.`)
  process.exit(0)
}

function currentKeyIds(): string[] {
  try {
    return [...getEnv().dataKeys.map((k) => k.id)]
  } catch {
    return []
  }
}

function nextKeyId(ids: string[]) {
  const numbers = ids.map(Number).filter(Number.isInteger)
  let next = numbers.length ? Math.max(...numbers) + 1 : ids.length + 1
  while (ids.includes(String(next))) next++
  return String(next)
}

let keyIds: readonly string[]
try {
  keyIds = getEnv().dataKeys.map((k) => k.id)
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`keys:rotate: ${error.message}`)
    process.exit(1)
  }
  throw error
}

const db = openConfiguredDatabase()
const started = Date.now()
try {
  // The same schema the app servers run on (nothing to do when they are up to date).
  await migrateDatabase(db)
  const newest = keyIds[0]!
  console.log(`keys:rotate: sealing again under key "${newest}" (loaded: ${keyIds.map((k) => `"${k}"`).join(', ')})`)
  const progress = await resealUnderNewestKey(db, { log: (line) => console.log(`keys:rotate: ${line}`) })
  const usage = await dataKeyUsage(db)
  for (const table of new Set(usage.map((u) => u.table))) {
    const rows = usage.filter((u) => u.table === table)
    const total = rows.reduce((n, u) => n + u.rows, 0)
    const underNewest = rows.find((u) => u.keyId === newest)?.rows ?? 0
    console.log(`keys:rotate: ${table} ${underNewest.toLocaleString('en')} / ${total.toLocaleString('en')} under key "${newest}"`)
  }
  for (const p of progress) {
    if (p.skipped > 0) console.log(`keys:rotate: ${p.table}: ${p.skipped} row(s) kept changing while this ran; run keys:rotate again`)
    if (p.conflicts > 0) {
      console.log(`keys:rotate: ${p.table}: ${p.conflicts} supporter(s) share their address with another supporter and stay under the old key; merge them, then run keys:rotate again`)
      process.exitCode = 1
    }
  }
  const { unused, hashOnlySuppressions } = await unusedDataKeys(db)
  for (const keyId of unused) console.log(`keys:rotate: key "${keyId}" is no longer used: remove it from VIGIL_DATA_KEY and restart (backups made before still need it)`)
  for (const { keyId, rows } of hashOnlySuppressions) {
    console.log(`keys:rotate: key "${keyId}" still keys ${rows} suppression(s) of forgotten addresses, by hash only (nothing is kept to hash again); removing it lets mail reach those addresses again`)
  }
  console.log(`keys:rotate: done in ${((Date.now() - started) / 1000).toFixed(1)} s`)
} catch (error) {
  if (error instanceof DataCryptoError) {
    // Names the key id and the column, never a value.
    console.error(`keys:rotate: ${error.message}`)
    process.exitCode = 1
  } else {
    throw error
  }
} finally {
  await closeDatabase(db)
}
