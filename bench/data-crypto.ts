/**
 * What encryption at rest will cost a signature (docs/decisions/017-encryption-at-rest.md, "What signing pays"):
 * the seals, lookup hashes and opens one signature needs once the models use app/utils/data-crypto.server.ts,
 * timed on this process's CPU. `npm run bench:crypto -- [seconds]`.
 */
import crypto from 'node:crypto'
import { createDataCrypto } from '../app/utils/data-crypto.server.ts'

const seconds = Number(process.argv[2] ?? 3)
const box = createDataCrypto([{ id: '1', key: crypto.randomBytes(32) }])
const message = 'Free Andry now. Journalism is not a crime, and the whole world is watching what happens to him.'
const props = JSON.stringify({ tokenSeed: crypto.randomBytes(24).toString('base64url'), firstName: 'Maximiliana', campaignTitle: 'Free Andry Rakoto', organizationName: 'Reporters Collective', campaignSlug: 'free-andry' })

let opened = 0
function oneSignature(n: number) {
  const address = `maximiliana.fernandez-${n}@example.org`
  // Signing: the address's hashes (supporter, domain), the two name words, then the sealed columns.
  const emailHash = box.lookupHash(address, 'email')
  box.lookupHash('example.org', 'email-domain')
  box.lookupHash('maximiliana', 'name-word')
  box.lookupHash('fernandez', 'name-word')
  box.seal(address, { table: 'supporters', column: 'email', row: emailHash })
  box.seal('Maximiliana', { table: 'supporters', column: 'first_name', row: emailHash })
  box.seal('Fernández', { table: 'supporters', column: 'last_name', row: emailHash })
  box.seal('Maximiliana', { table: 'signatures', column: 'first_name' })
  box.seal('Fernández', { table: 'signatures', column: 'last_name' })
  box.seal('10115', { table: 'signatures', column: 'postal_code' })
  box.seal(message, { table: 'signatures', column: 'message' })
  const to = box.seal(address, { table: 'email_messages', column: 'to_email' })
  const body = box.seal(props, { table: 'email_messages', column: 'props' })
  // Sending the confirmation: the sender opens the address and the props.
  opened += box.open(to, { table: 'email_messages', column: 'to_email' }).length
  opened += box.open(body, { table: 'email_messages', column: 'props' }).length
}

// The design the ADR chose: the personal fields a row writes together sealed as one JSON envelope per row.
function oneSignatureSealedPerRow(n: number) {
  const address = `maximiliana.fernandez-${n}@example.org`
  const emailHash = box.lookupHash(address, 'email')
  box.lookupHash('example.org', 'email-domain')
  box.lookupHash('maximiliana', 'name-word')
  box.lookupHash('fernandez', 'name-word')
  box.seal(JSON.stringify({ email: address, firstName: 'Maximiliana', lastName: 'Fernández' }), { table: 'supporters', column: 'sealed', row: emailHash })
  box.seal(JSON.stringify({ firstName: 'Maximiliana', lastName: 'Fernández', postalCode: '10115', message }), { table: 'signatures', column: 'sealed' })
  const sealed = box.seal(JSON.stringify({ to: address, props }), { table: 'email_messages', column: 'sealed' })
  opened += box.open(sealed, { table: 'email_messages', column: 'sealed' }).length
}

function measure(name: string, work: (n: number) => void) {
  for (let n = 0; n < 5000; n++) work(n) // warm up
  const start = process.cpuUsage()
  const wall = performance.now()
  let n = 0
  while (performance.now() - wall < seconds * 1000) for (let i = 0; i < 1000; i++) work(n++)
  const cpu = process.cpuUsage(start)
  const cpuUs = (cpu.user + cpu.system) / n
  console.log(`${name.padEnd(58)} ${cpuUs.toFixed(2).padStart(7)} µs CPU each   (${n.toLocaleString('en')} in ${seconds} s)`)
  return cpuUs
}

console.log(`node ${process.version}, ${crypto.getCiphers().includes('aes-256-gcm') ? 'aes-256-gcm' : '?'}, ${seconds} s each`)
const perSeal = measure('seal (a 20-byte address)', (n) => box.seal(`someone-${n}@example.org`, { table: 'supporters', column: 'email' }))
const envelope = box.seal('someone@example.org', { table: 'supporters', column: 'email' })
const perOpen = measure('open (a 20-byte address)', () => box.open(envelope, { table: 'supporters', column: 'email' }))
const perHash = measure('lookupHash (a 20-byte address)', (n) => box.lookupHash(`someone-${n}@example.org`, 'email'))
const perSignature = measure('one signature: 9 seals + 4 lookup hashes + 2 opens', oneSignature)
const perRow = measure('one signature sealed per row: 3 seals + 4 hashes + 1 open', oneSignatureSealedPerRow)
console.log(`per signature ≈ ${(perRow / 1000).toFixed(3)} ms CPU sealed per row, ${(perSignature / 1000).toFixed(3)} ms sealed per column`)
console.log(`(the parts alone add up to ${((9 * perSeal + 4 * perHash + 2 * perOpen) / 1000).toFixed(3)} ms per column; ${opened > 0 ? 'every envelope opened' : 'nothing opened'})`)
