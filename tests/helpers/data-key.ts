/**
 * The data key every test process and the servers it starts share (VIGIL_DATA_KEY, ADR 017), so a
 * test that reads a server's database can open what the server sealed. A test of the key's own
 * configuration (generated in demo mode, required in live mode) sets or clears the variable itself.
 */
export const TEST_DATA_KEY = 'test:dGVzdC1kYXRhLWtleS0wMTIzNDU2Nzg5YWJjZGVmMDE='
